package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/logmart/logmart/fault"
)

// RehydrateJobs runs rehydrations in the background, one per job id at a
// time, and keeps each job's state for the API's progress and cancel. Jobs
// live in this process: a job whose server stops ends, and running its
// request again completes it (rehydration is idempotent).
type RehydrateJobs struct {
	r  *Rehydrator
	mu sync.Mutex
	m  map[string]*RehydrateJob
}

// RehydrateJob is one job's state.
type RehydrateJob struct {
	Request RehydrateRequest `json:"request"`
	// State is running, done, cancelled or failed.
	State    string            `json:"state"`
	Progress RehydrateProgress `json:"progress"`
	Error    string            `json:"error,omitempty"`
	Started  time.Time         `json:"started"`
	Ended    *time.Time        `json:"ended,omitempty"`

	cancel context.CancelFunc
}

// Job states.
const (
	JobRunning   = "running"
	JobDone      = "done"
	JobCancelled = "cancelled"
	JobFailed    = "failed"
)

// maxKeptJobs bounds the finished jobs kept for their figures.
const maxKeptJobs = 100

// NewRehydrateJobs runs jobs with r.
func NewRehydrateJobs(r *Rehydrator) *RehydrateJobs {
	return &RehydrateJobs{r: r, m: map[string]*RehydrateJob{}}
}

// Start checks req and starts its job, or returns the job already running
// for the same request.
func (j *RehydrateJobs) Start(req RehydrateRequest) (RehydrateJob, error) {
	if err := j.r.Check(req); err != nil {
		return RehydrateJob{}, err
	}
	id := JobID(req)
	j.mu.Lock()
	defer j.mu.Unlock()
	if cur := j.m[id]; cur != nil && cur.State == JobRunning {
		return *cur, nil
	}
	j.prune()
	ctx, cancel := context.WithCancel(context.Background())
	job := &RehydrateJob{Request: req, State: JobRunning, Progress: RehydrateProgress{Job: id}, Started: time.Now().UTC(), cancel: cancel}
	j.m[id] = job
	go func() {
		defer cancel()
		p, err := j.r.Run(ctx, req, func(p RehydrateProgress) {
			j.mu.Lock()
			job.Progress = p
			j.mu.Unlock()
		})
		j.mu.Lock()
		defer j.mu.Unlock()
		job.Progress = p
		now := time.Now().UTC()
		job.Ended = &now
		switch {
		case err == nil:
			job.State = JobDone
		case errors.Is(err, context.Canceled):
			job.State = JobCancelled
		default:
			job.State, job.Error = JobFailed, err.Error()
		}
	}()
	return *job, nil
}

// prune drops the oldest finished jobs past maxKeptJobs. Callers hold mu.
func (j *RehydrateJobs) prune() {
	for len(j.m) >= maxKeptJobs {
		var oldest string
		for id, x := range j.m {
			if x.State != JobRunning && (oldest == "" || x.Started.Before(j.m[oldest].Started)) {
				oldest = id
			}
		}
		if oldest == "" {
			return
		}
		delete(j.m, oldest)
	}
}

// Get returns a job's state; an unknown id is fault.NotFound.
func (j *RehydrateJobs) Get(id string) (RehydrateJob, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	job := j.m[id]
	if job == nil {
		return RehydrateJob{}, fault.New(fault.NotFound, "no rehydration job %q on this server", id)
	}
	return *job, nil
}

// Cancel stops a running job after the object it is storing; what is
// stored stays. Cancelling a finished job changes nothing.
func (j *RehydrateJobs) Cancel(id string) (RehydrateJob, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	job := j.m[id]
	if job == nil {
		return RehydrateJob{}, fault.New(fault.NotFound, "no rehydration job %q on this server", id)
	}
	if job.State == JobRunning {
		job.cancel()
	}
	return *job, nil
}
