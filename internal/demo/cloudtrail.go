package demo

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// The platform's own AWS accounts, whose CloudTrail records the events
// topic carries beside the auth service's audit events: one record per
// Kafka record, as a trail shipper sends them, keyed by account. Account
// ids are AWS's documentation examples.
var cloudTrailAccounts = []string{"111122223333", "444455556666"}

// CloudTrailAccounts returns the AWS account ids of the demo's CloudTrail
// records, production first.
func CloudTrailAccounts() []string { return slices.Clone(cloudTrailAccounts) }

// cloudTrailShare is the fraction of events that are CloudTrail records.
const cloudTrailShare = 0.25

var (
	iamUsers = []string{"alice", "bob", "carol", "dmitri", "erin", "farah"}
	// awsCalls are the everyday API calls: service, event name, whether it
	// only reads.
	awsCalls = []struct {
		source, name string
		readOnly     bool
	}{
		{"ec2", "DescribeInstances", true}, {"s3", "GetObject", true}, {"s3", "PutObject", false},
		{"sts", "AssumeRole", true}, {"kms", "Decrypt", true}, {"secretsmanager", "GetSecretValue", true},
		{"ecr", "GetAuthorizationToken", true}, {"logs", "PutLogEvents", false},
	}
	// deniedCalls are what misconfigured principals keep being refused.
	deniedCalls = []struct {
		role, source, name, code string
	}{
		{"deploy", "s3", "GetObject", "AccessDenied"},
		{"deploy", "secretsmanager", "GetSecretValue", "AccessDeniedException"},
		{"reporting", "ec2", "DescribeInstances", "Client.UnauthorizedOperation"},
		{"reporting", "sts", "AssumeRole", "AccessDenied"},
	}
	awsRegions = []string{"us-east-1", "eu-west-1"}
)

// cloudTrailKinds weights the kinds of record drawn outside an attack.
var cloudTrailKinds = []struct {
	kind   string
	weight int
}{
	{"login", 12}, {"login_failed", 3}, {"root_login", 1}, {"sg_ingress", 3}, {"denied", 8}, {"call", 73},
}

// appendCloudTrail appends one CloudTrail record (the shape AWS delivers,
// one element of a trail file's Records) and returns its account. During a
// brute-force episode the attacker's address also tries the AWS console as
// root, and fails.
func appendCloudTrail(dst []byte, r *rand.Rand, now time.Time, at *attack) ([]byte, string) {
	account := cloudTrailAccounts[0]
	if r.IntN(4) == 0 {
		account = cloudTrailAccounts[1]
	}
	region := awsRegions[r.IntN(len(awsRegions))]
	kind := "login_failed_root"
	if at == nil {
		n := r.IntN(100)
		for _, k := range cloudTrailKinds {
			if n < k.weight {
				kind = k.kind
				break
			}
			n -= k.weight
		}
	}
	user := iamUsers[r.IntN(len(iamUsers))]
	var ipBuf [16]byte
	ip := append(ipBuf[:0], [...]string{"198.51.100.", "203.0.113."}[r.IntN(2)]...)
	ip = strconv.AppendInt(ip, int64(1+r.IntN(254)), 10)
	if at != nil {
		ip = append(ipBuf[:0], at.ip...)
	}

	dst = append(dst, `{"eventVersion":"1.08","userIdentity":`...)
	switch kind {
	case "root_login", "login_failed_root":
		dst = append(dst, `{"type":"Root","principalId":"`+account+`","arn":"arn:aws:iam::`+account+`:root","accountId":"`+account+`","accessKeyId":""}`...)
	case "login", "login_failed":
		dst = append(dst, `{"type":"IAMUser","principalId":"AIDA`...)
		dst = appendUpperID(dst, r, 17)
		dst = append(dst, `","arn":"arn:aws:iam::`+account+`:user/`...)
		dst = append(dst, user...)
		dst = append(dst, `","accountId":"`+account+`","userName":"`...)
		dst = append(dst, user...)
		dst = append(dst, `"}`...)
	default:
		role, session := "Admin", user
		if kind == "denied" {
			d := deniedCalls[r.IntN(len(deniedCalls))]
			role, session = d.role, "ci-"+strconv.Itoa(r.IntN(50))
		}
		dst = append(dst, `{"type":"AssumedRole","principalId":"AROA`...)
		dst = appendUpperID(dst, r, 17)
		dst = append(dst, ':')
		dst = append(dst, session...)
		dst = append(dst, `","arn":"arn:aws:sts::`+account+`:assumed-role/`...)
		dst = append(dst, role...)
		dst = append(dst, '/')
		dst = append(dst, session...)
		dst = append(dst, `","accountId":"`+account+`","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::`+account+`:role/`...)
		dst = append(dst, role...)
		dst = append(dst, `"}}}`...)
	}
	dst = append(dst, `,"eventTime":"`...)
	dst = now.UTC().AppendFormat(dst, "2006-01-02T15:04:05Z")
	dst = append(dst, '"')

	field := func(k, v string) {
		dst = append(dst, `,"`...)
		dst = append(dst, k...)
		dst = append(dst, `":"`...)
		dst = append(dst, v...)
		dst = append(dst, '"')
	}
	eventType := "AwsApiCall"
	switch kind {
	case "login", "login_failed", "root_login", "login_failed_root":
		eventType = "AwsConsoleSignIn"
		result, mfa := "Success", "Yes"
		if kind == "login_failed" || kind == "login_failed_root" {
			result, mfa = "Failure", "No"
		} else if r.IntN(5) == 0 {
			mfa = "No"
		}
		field("eventSource", "signin.amazonaws.com")
		field("eventName", "ConsoleLogin")
		field("awsRegion", "us-east-1")
		field("sourceIPAddress", string(ip))
		field("userAgent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		if result == "Failure" {
			field("errorMessage", "Failed authentication")
		}
		dst = append(dst, `,"requestParameters":null,"responseElements":{"ConsoleLogin":"`+result+`"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"`+mfa+`"}`...)
	case "sg_ingress":
		cidr, port := "10.0.0.0/8", "5432"
		if r.IntN(4) == 0 {
			cidr, port = "0.0.0.0/0", [...]string{"22", "443", "3389"}[r.IntN(3)]
		}
		field("eventSource", "ec2.amazonaws.com")
		field("eventName", "AuthorizeSecurityGroupIngress")
		field("awsRegion", region)
		field("sourceIPAddress", string(ip))
		field("userAgent", "aws-cli/2.15.30 Python/3.11.8")
		dst = append(dst, `,"requestParameters":{"groupId":"sg-0`...)
		dst = appendHexID(dst, r, 16)
		dst = append(dst, `","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":`+port+`,"toPort":`+port+`,"groups":{},"ipRanges":{"items":[{"cidrIp":"`+cidr+`"}]},"ipv6Ranges":{},"prefixListIds":{}}]}},"responseElements":{"_return":true}`...)
	case "denied":
		d := deniedCalls[r.IntN(len(deniedCalls))]
		field("eventSource", d.source+".amazonaws.com")
		field("eventName", d.name)
		field("awsRegion", region)
		field("sourceIPAddress", "192.0.2.50")
		field("userAgent", "aws-sdk-go-v2/1.30.3")
		field("errorCode", d.code)
		field("errorMessage", "User is not authorized to perform: "+d.source+":"+d.name)
		dst = append(dst, `,"requestParameters":null,"responseElements":null`...)
	default:
		c := awsCalls[r.IntN(len(awsCalls))]
		field("eventSource", c.source+".amazonaws.com")
		field("eventName", c.name)
		field("awsRegion", region)
		field("sourceIPAddress", string(ip))
		field("userAgent", "aws-sdk-go-v2/1.30.3")
		dst = append(dst, `,"requestParameters":null,"responseElements":null`...)
	}
	dst = append(dst, `,"eventID":"`...)
	dst = appendUUID(dst, r)
	dst = append(dst, `","readOnly":`...)
	dst = strconv.AppendBool(dst, eventType == "AwsConsoleSignIn" || kind == "call" && r.IntN(2) == 0)
	dst = append(dst, `,"eventType":"`+eventType+`","managementEvent":true,"recipientAccountId":"`+account+`","eventCategory":"Management"}`...)
	return dst, account
}

// appendUpperID appends n characters of an AWS unique id (upper-case
// letters and digits).
func appendUpperID(dst []byte, r *rand.Rand, n int) []byte {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	for range n {
		dst = append(dst, chars[r.IntN(len(chars))])
	}
	return dst
}

func appendHexID(dst []byte, r *rand.Rand, n int) []byte {
	for range n {
		dst = append(dst, hexDigits[r.IntN(16)])
	}
	return dst
}

// appendUUID appends a random (version 4) UUID.
func appendUUID(dst []byte, r *rand.Rand) []byte {
	for i, n := range []int{8, 4, 4, 4, 12} {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = appendHexID(dst, r, n)
	}
	return dst
}
