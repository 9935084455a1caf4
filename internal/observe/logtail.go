package observe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// LogConfig configures a LogTail. Zero fields take the defaults.
type LogConfig struct {
	// Dir holds the logs, one "<instance>.log" file per instance of JSON
	// lines. Required.
	Dir string
	// MaxLines is how many lines are kept, across every instance (default
	// 5000).
	MaxLines int
	// Every is how often the files are polled (default 500ms).
	Every time.Duration
	// Backlog is how much of the end of each file present at start is
	// read (default 64 KiB); files that appear later are read whole.
	Backlog int64
	// MaxLineBytes cuts longer lines (default 64 KiB).
	MaxLineBytes int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c LogConfig) withDefaults() (LogConfig, error) {
	if c.Dir == "" {
		return c, errors.New("log tail: no directory")
	}
	if c.MaxLines <= 0 {
		c.MaxLines = 5000
	}
	if c.Every <= 0 {
		c.Every = 500 * time.Millisecond
	}
	if c.Backlog <= 0 {
		c.Backlog = 64 << 10
	}
	if c.MaxLineBytes <= 0 {
		c.MaxLineBytes = 64 << 10
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// maxReadPerPoll bounds what is read of one file in one poll, so that a
// flood of logs cannot stall the others.
const maxReadPerPoll = 1 << 20

// LogTail follows every log file of a directory and keeps the last lines.
// Its methods are safe for concurrent use.
type LogTail struct {
	cfg LogConfig

	pollMu  sync.Mutex // one poll at a time
	files   map[string]*followed
	started bool // the first poll is done

	mu       sync.Mutex
	lines    []LogLine // oldest first, at most cfg.MaxLines
	seq      int64
	versions map[string]string // by instance
}

// followed is the read state of one file.
type followed struct {
	info    os.FileInfo
	offset  int64
	partial []byte    // bytes after the last newline read
	skip    bool      // drop the partial first line of a backlog read
	last    time.Time // time of the last line read
}

// NewLogTail returns a tail of cfg.Dir; call Run (or Poll) to read.
func NewLogTail(cfg LogConfig) (*LogTail, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &LogTail{cfg: cfg, files: map[string]*followed{}, versions: map[string]string{}}, nil
}

// Run polls the directory until ctx ends.
func (t *LogTail) Run(ctx context.Context) error {
	tick := time.NewTicker(t.cfg.Every)
	defer tick.Stop()
	for {
		if err := t.Poll(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Poll reads what was appended to the log files since the last poll. A
// file that cannot be read is retried at the next poll; only a directory
// that cannot be listed is an error.
func (t *LogTail) Poll() error {
	t.pollMu.Lock()
	defer t.pollMu.Unlock()
	paths, err := filepath.Glob(filepath.Join(t.cfg.Dir, "*.log"))
	if err != nil {
		return fmt.Errorf("log tail %s: %w", t.cfg.Dir, err)
	}
	now := t.cfg.Now()
	var batch []LogLine
	present := map[string]bool{}
	for _, p := range paths {
		present[p] = true
		batch = append(batch, t.readFile(p, now)...)
	}
	for p := range t.files {
		if !present[p] {
			delete(t.files, p)
		}
	}
	t.started = true
	slices.SortStableFunc(batch, func(a, b LogLine) int { return a.Time.Compare(b.Time) })
	t.append(batch)
	return nil
}

// readFile reads the new complete lines of one file.
func (t *LogTail) readFile(path string, now time.Time) []LogLine {
	info, err := os.Stat(path)
	if err != nil {
		return nil
	}
	f := t.files[path]
	switch {
	case f == nil:
		f = &followed{info: info}
		if !t.started && info.Size() > t.cfg.Backlog {
			f.offset, f.skip = info.Size()-t.cfg.Backlog, true
		}
		t.files[path] = f
	case !os.SameFile(f.info, info) || info.Size() < f.offset:
		*f = followed{info: info} // replaced or truncated: start over
	}
	f.info = info
	if info.Size() <= f.offset {
		return nil
	}
	data, err := readAt(path, f.offset, min(info.Size()-f.offset, maxReadPerPoll))
	if err != nil {
		return nil
	}
	f.offset += int64(len(data))
	return t.splitLines(f, strings.TrimSuffix(filepath.Base(path), ".log"), data, now)
}

// splitLines parses the complete lines of data, keeping the incomplete
// rest for the next read.
func (t *LogTail) splitLines(f *followed, instance string, data []byte, now time.Time) []LogLine {
	data = append(f.partial, data...)
	var out []LogLine
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := data[:i]
		data = data[i+1:]
		if f.skip {
			f.skip = false
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if len(line) > t.cfg.MaxLineBytes {
			line = line[:t.cfg.MaxLineBytes]
		}
		at := now
		if !f.last.IsZero() {
			at = f.last // a line without a time (a panic) follows the previous one
		}
		l := parseLogLine(instance, line, at)
		f.last = l.Time
		out = append(out, l)
	}
	if len(data) > t.cfg.MaxLineBytes {
		data = data[:t.cfg.MaxLineBytes] // the rest of a huge line is lost
	}
	f.partial = slices.Clone(data)
	return out
}

func readAt(path string, offset, n int64) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	buf := make([]byte, n)
	read, err := file.ReadAt(buf, offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:read], nil
}

// append numbers and keeps batch, dropping the oldest lines over the cap.
func (t *LogTail) append(batch []LogLine) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range batch {
		t.seq++
		l.Seq = t.seq
		if l.version != "" {
			t.versions[l.Instance] = l.version
		}
		t.lines = append(t.lines, l)
	}
	if over := len(t.lines) - t.cfg.MaxLines; over > 0 {
		t.lines = slices.Clone(t.lines[over:])
	}
}

// LogFilter selects log lines. The zero value selects all.
type LogFilter struct {
	// After keeps lines with a greater Seq (for polling).
	After int64
	// Service and Instance keep one service's or one instance's lines.
	Service, Instance string
	// MinLevel keeps lines at this level or above ("WARN").
	MinLevel string
	// TraceID keeps the lines of one trace.
	TraceID string
	// Contains keeps lines whose message or attributes contain it.
	Contains string
}

func (f LogFilter) matches(l LogLine) bool {
	switch {
	case l.Seq <= f.After:
		return false
	case f.Service != "" && l.Service != f.Service:
		return false
	case f.Instance != "" && l.Instance != f.Instance:
		return false
	case f.MinLevel != "" && levelRank(l.Level) < levelRank(strings.ToUpper(f.MinLevel)):
		return false
	case f.TraceID != "" && l.TraceID != f.TraceID:
		return false
	case f.Contains != "" && !strings.Contains(l.Msg, f.Contains) && !strings.Contains(l.Attrs, f.Contains):
		return false
	}
	return true
}

// Lines returns the last limit lines (all when limit ≤ 0) matching f,
// oldest first.
func (t *LogTail) Lines(f LogFilter, limit int) []LogLine {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []LogLine
	for i := len(t.lines) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		if t.lines[i].Seq <= f.After {
			break
		}
		if f.matches(t.lines[i]) {
			out = append(out, t.lines[i])
		}
	}
	slices.Reverse(out)
	return out
}

// LastSeq is the Seq of the latest line read (0 before any).
func (t *LogTail) LastSeq() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// Version is the version instance last logged, if any.
func (t *LogTail) Version(instance string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.versions[instance]
}
