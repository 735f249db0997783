package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3 is a target in an S3 bucket (or an S3-compatible store), under a key
// prefix. Credentials come from the standard AWS chain: the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the shared files
// (~/.aws), web identity, or the instance's role.
type S3 struct {
	cl        *s3.Client
	bucket    string
	prefix    string
	partBytes int
}

func openS3(ctx context.Context, cfg Config, loc location) (*S3, error) {
	opts := []func(*awsconfig.LoadOptions) error{}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	if cfg.Endpoint != "" {
		// S3-compatible stores often know neither the checksums the SDK
		// now sends by default nor the chunked uploads they come in.
		opts = append(opts,
			awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot load the AWS configuration for the archive: %w", err)
	}
	if ac.Region == "" {
		ac.Region = "us-east-1"
	}
	cl := s3.NewFromConfig(ac, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
	})
	part := cfg.PartBytes
	if part < minPartBytes {
		part = minPartBytes
	}
	return &S3{cl: cl, bucket: loc.bucket, prefix: loc.prefix, partBytes: part}, nil
}

func (s *S3) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// Ping asks for the bucket (HeadBucket): an unreachable endpoint, a
// missing bucket or refused credentials fail it.
func (s *S3) Ping(ctx context.Context) error {
	_, err := s.cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket})
	var re *awshttp.ResponseError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden:
		// HEAD answers carry no body: a 403 is all S3 says of wrong
		// credentials, or of credentials without access to the bucket.
		return fmt.Errorf("cannot reach the archive bucket %s: access denied (403): the credentials are wrong or may not read the bucket: %w", s.String(), err)
	case errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound:
		return fmt.Errorf("cannot reach the archive bucket %s: no such bucket (404): %w", s.String(), err)
	}
	return fmt.Errorf("cannot reach the archive bucket %s: %w", s.String(), err)
}

// Put uploads body in one request, or as a multipart upload when it is
// larger than a part. Either way S3 shows the object only once the upload
// is complete; a multipart upload that fails is aborted.
func (s *S3) Put(ctx context.Context, key string, body []byte) error {
	k := s.prefix + key
	if len(body) <= s.partBytes {
		_, err := s.cl.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &s.bucket, Key: &k, Body: bytes.NewReader(body),
			ContentLength: aws.Int64(int64(len(body))),
			ContentType:   aws.String("application/zstd"),
		})
		if err != nil {
			return fmt.Errorf("cannot upload archive object %s: %w", s.url(k), err)
		}
		return nil
	}
	return s.putMultipart(ctx, k, body)
}

func (s *S3) putMultipart(ctx context.Context, k string, body []byte) error {
	fail := func(err error) error { return fmt.Errorf("cannot upload archive object %s: %w", s.url(k), err) }
	up, err := s.cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.bucket, Key: &k, ContentType: aws.String("application/zstd"),
	})
	if err != nil {
		return fail(err)
	}
	abort := func(cause error) error {
		// Aborted even when ctx has ended, so the parts do not linger.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := s.cl.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
			Bucket: &s.bucket, Key: &k, UploadId: up.UploadId,
		}); err != nil {
			cause = errors.Join(cause, fmt.Errorf("and cannot abort the upload: %w", err))
		}
		return fail(cause)
	}
	var parts []types.CompletedPart
	for n, off := int32(1), 0; off < len(body); n, off = n+1, off+s.partBytes {
		chunk := body[off:min(off+s.partBytes, len(body))]
		out, err := s.cl.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &s.bucket, Key: &k, UploadId: up.UploadId, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(chunk), ContentLength: aws.Int64(int64(len(chunk))),
		})
		if err != nil {
			return abort(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = s.cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &k, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return abort(err)
	}
	return nil
}

// Get opens the object's body.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	k := s.prefix + key
	out, err := s.cl.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		var nk *types.NoSuchKey
		if errors.As(err, &nk) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, s.url(k))
		}
		return nil, fmt.Errorf("cannot read archive object %s: %w", s.url(k), err)
	}
	return out.Body, nil
}

// List pages through the keys under prefix.
func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	full := s.prefix + prefix
	var out []ObjectInfo
	p := s3.NewListObjectsV2Paginator(s.cl, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &full})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cannot list archive objects under %s: %w", s.url(full), err)
		}
		for _, o := range page.Contents {
			out = append(out, ObjectInfo{Key: strings.TrimPrefix(aws.ToString(o.Key), s.prefix), Size: aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

func (s *S3) url(key string) string { return "s3://" + s.bucket + "/" + key }
