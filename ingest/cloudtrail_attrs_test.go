package ingest

import "testing"

// cloudTrailRecords are CloudTrail records as AWS delivers them, at
// eventTime: a failed root console login, a security group opened to
// 0.0.0.0/0 for SSH, and an EC2 call denied to an IAM user.
func cloudTrailRecords(eventTime string) []string {
	return []string{
		`{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":""},
"eventTime":"` + eventTime + `","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",
"userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"errorMessage":"Failed authentication",
"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"},"eventID":"3b7c1f2e-0d5a-4a55-9c1e-8f0f5e4b2a11",
"readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
		`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice",
"accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Admin"}}},"eventTime":"` + eventTime + `",
"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15",
"requestParameters":{"groupId":"sg-0a1b2c3d4e5f60001","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}}]}},
"responseElements":{"requestId":"5d3f1c7a-1111-2222-3333-444455556666","_return":true},"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEBOB","arn":"arn:aws:iam::444455556666:user/bob","accountId":"444455556666","userName":"bob"},
"eventTime":"` + eventTime + `","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9",
"userAgent":"aws-cli/2.15","errorCode":"Client.UnauthorizedOperation","errorMessage":"You are not authorized to perform this operation.",
"requestParameters":{"instancesSet":{},"filterSet":{}},"responseElements":null,"eventType":"AwsApiCall","recipientAccountId":"444455556666"}`,
	}
}

// TestCloudTrailRecordAttributes pins what the shipped CloudTrail templates
// (configs/templates/cloudtrail_*.yaml) read: a CloudTrail record through
// the events topic's JSON decoder, or in the cloudtrail format, keeps each
// field under its record name, nested ones dotted, arrays as their JSON
// text. A decoder change that moves one of these to a column must keep it
// findable here too.
func TestCloudTrailRecordAttributes(t *testing.T) {
	recs := cloudTrailRecords("2026-11-21T11:01:00Z")
	f := func(record string, want map[string]string) {
		t.Helper()
		// The events topic's json, and the cloudtrail format (ingest file
		// --format cloudtrail), which also maps eventTime, eventSource and
		// eventName to columns.
		for _, format := range []string{"json", "cloudtrail"} {
			d := newDecoder(TopicConfig{Format: format})
			var row logRow
			if err := d.decode([]byte(record), &row); err != nil {
				t.Fatalf("%s: %v\n%s", format, err, record)
			}
			got := map[string]string{}
			for _, a := range row.attrs {
				got[a.k] = a.v
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: attributes[%q] = %q, want %q (attributes %v)", format, k, got[k], v, got)
				}
			}
		}
	}
	f(recs[0],
		map[string]string{
			"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "eventType": "AwsConsoleSignIn",
			"userIdentity.type": "Root", "userIdentity.arn": "arn:aws:iam::111122223333:root", "userIdentity.principalId": "111122223333",
			"sourceIPAddress": "198.51.100.7", "recipientAccountId": "111122223333", "awsRegion": "us-east-1", "userAgent": "Mozilla/5.0",
			"responseElements.ConsoleLogin": "Failure", "errorMessage": "Failed authentication", "additionalEventData.MFAUsed": "No",
		})
	f(recs[1],
		map[string]string{
			"eventName": "AuthorizeSecurityGroupIngress", "userIdentity.arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
			"requestParameters.groupId":             "sg-0a1b2c3d4e5f60001",
			"requestParameters.ipPermissions.items": `[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}}]`,
			"errorCode":                             "",
		})
	f(recs[2],
		map[string]string{
			"errorCode": "Client.UnauthorizedOperation", "userIdentity.userName": "bob", "userIdentity.type": "IAMUser",
			"eventSource": "ec2.amazonaws.com",
		})
}
