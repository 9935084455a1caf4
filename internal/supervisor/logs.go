package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Log reading limits.
const (
	// logPollEvery is how often Logs looks for new lines when following.
	logPollEvery = 200 * time.Millisecond
	// maxLogLine is the longest line Logs sends; longer ones are cut.
	maxLogLine = 64 << 10
	// maxLogRead bounds what Logs reads of one file at a time.
	maxLogRead = 1 << 20
	// MaxLogTail is the most lines LogOptions.Tail may ask for.
	MaxLogTail = 10000
)

// LogLine is one line an instance wrote to its standard output or error.
type LogLine struct {
	Instance string `json:"instance"`
	Service  string `json:"service"`
	Line     string `json:"line"`
}

// LogOptions selects the lines Logs sends.
type LogOptions struct {
	// Service limits the lines to one service's instances; "" sends every
	// instance's.
	Service string
	// Tail is how many of the latest lines to send first, 0..MaxLogTail.
	Tail int
	// Follow keeps sending lines as they are written, until the context
	// ends.
	Follow bool
}

// Logs sends the instances' output, merged, to fn: first the last
// opts.Tail lines written since the supervisor started, across instances
// in time order (service log lines carry their time); then, with Follow,
// every new line as it is written, those of instances started later
// included, until ctx ends (Logs then returns nil) or fn returns an error
// (which Logs returns). The lines come from the instances' log files
// under DATA/logs, one per instance id, so retired and crashed instances'
// last words are there too.
func (s *Supervisor) Logs(ctx context.Context, opts LogOptions, fn func(LogLine) error) error {
	if opts.Tail < 0 || opts.Tail > MaxLogTail {
		return fmt.Errorf("logs: %w: tail must be in 0..%d, not %d", ErrInvalid, MaxLogTail, opts.Tail)
	}
	if opts.Service != "" {
		if _, err := s.lookup(opts.Service); err != nil {
			return fmt.Errorf("logs: %w", err)
		}
	}
	t := &logTailer{dir: filepath.Join(s.cfg.DataDir, "logs"), service: opts.Service, files: map[string]*logFile{}}
	first, err := t.start(s.began, opts.Tail)
	if err != nil {
		return err
	}
	if err := send(first, fn); err != nil || !opts.Follow {
		return err
	}
	tick := time.NewTicker(logPollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		lines, err := t.poll()
		if err != nil {
			return err
		}
		if err := send(lines, fn); err != nil {
			return err
		}
	}
}

func send(lines []timedLine, fn func(LogLine) error) error {
	for _, l := range lines {
		if err := fn(l.LogLine); err != nil {
			return err
		}
	}
	return nil
}

// logTailer follows the log files of one service, or all, in a directory.
type logTailer struct {
	dir     string
	service string
	files   map[string]*logFile // by path
}

// logFile is one instance's log as far as it was read.
type logFile struct {
	instance, service string
	offset            int64
	partial           []byte // the start of a line not yet ended
	last              time.Time
}

// timedLine is a line with the time it was logged at, for merging.
type timedLine struct {
	LogLine
	at time.Time
}

// start registers the existing files and returns the last tail lines of
// those written since the given time, merged.
func (t *logTailer) start(since time.Time, tail int) ([]timedLine, error) {
	paths, err := t.list()
	if err != nil {
		return nil, err
	}
	var lines []timedLine
	for _, p := range paths {
		f := t.track(p)
		info, err := os.Stat(p)
		if err != nil {
			continue // removed meanwhile
		}
		// Follow from the end of the last complete line: a line being
		// written now is sent whole once it ends.
		if f.offset, err = lineStart(p, info.Size()); err != nil {
			return nil, err
		}
		if tail == 0 || info.ModTime().Before(since) {
			continue
		}
		got, err := f.readTail(p, info.Size(), info.ModTime(), tail)
		if err != nil {
			return nil, err
		}
		lines = append(lines, got...)
	}
	merge(lines)
	if len(lines) > tail {
		lines = lines[len(lines)-tail:]
	}
	return lines, nil
}

// poll returns the lines written since the last call, new files' included,
// merged.
func (t *logTailer) poll() ([]timedLine, error) {
	paths, err := t.list()
	if err != nil {
		return nil, err
	}
	var lines []timedLine
	for _, p := range paths {
		got, err := t.track(p).readNew(p)
		if err != nil {
			return nil, err
		}
		lines = append(lines, got...)
	}
	merge(lines)
	return lines, nil
}

// list returns the log files of the tailer's service, sorted.
func (t *logTailer) list() ([]string, error) {
	entries, err := os.ReadDir(t.dir)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	var paths []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok || e.IsDir() {
			continue
		}
		if svc := serviceOf(id); svc != "" && (t.service == "" || svc == t.service) {
			paths = append(paths, filepath.Join(t.dir, e.Name()))
		}
	}
	sort.Strings(paths)
	return paths, nil
}

func (t *logTailer) track(path string) *logFile {
	f, ok := t.files[path]
	if !ok {
		id := strings.TrimSuffix(filepath.Base(path), ".log")
		f = &logFile{instance: id, service: serviceOf(id)}
		t.files[path] = f
	}
	return f
}

// serviceOf returns the service of an instance id ("cart-2" → "cart"), or
// "" when id is not one.
func serviceOf(id string) string {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return ""
	}
	if _, err := strconv.Atoi(id[i+1:]); err != nil {
		return ""
	}
	return id[:i]
}

// readTail returns the last n complete lines of the file's first size
// bytes.
func (f *logFile) readTail(path string, size int64, modified time.Time, n int) ([]timedLine, error) {
	start := max(0, size-maxLogRead)
	data, err := readAt(path, start, size-start)
	if err != nil {
		return nil, err
	}
	if start > 0 { // the first line is cut: drop it
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	} else {
		data = nil
	}
	lines := f.split(data, modified)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}

// lineStart returns where the last line of the file's first size bytes
// starts: size when the file ends with a newline.
func lineStart(path string, size int64) (int64, error) {
	start := max(0, size-maxLogLine)
	data, err := readAt(path, start, size-start)
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(data, '\n')
	if i < 0 && start > 0 {
		return size, nil // a line too long to wait for
	}
	return start + int64(i+1), nil
}

// readNew returns the complete lines appended since the last read. A file
// that shrank was replaced: it is read again from its start.
func (f *logFile) readNew(path string) ([]timedLine, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil // removed meanwhile
	}
	if info.Size() < f.offset {
		f.offset, f.partial = 0, nil
	}
	if info.Size() == f.offset {
		return nil, nil
	}
	data, err := readAt(path, f.offset, min(info.Size()-f.offset, maxLogRead))
	if err != nil {
		return nil, err
	}
	f.offset += int64(len(data))
	data = append(f.partial, data...)
	end := bytes.LastIndexByte(data, '\n') + 1
	f.partial = bytes.Clone(data[end:])
	if len(f.partial) > maxLogLine { // a line too long to wait for
		end, f.partial = len(data), nil
	}
	return f.split(data[:end], time.Now()), nil
}

// split cuts data into lines, each timed by its own "time" field when it
// is a structured log line, else by the line before it, else by fallback.
func (f *logFile) split(data []byte, fallback time.Time) []timedLine {
	var out []timedLine
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) > maxLogLine {
			line = line[:maxLogLine]
		}
		if at, ok := lineTime(line); ok {
			f.last = at
		}
		at := f.last
		if at.IsZero() {
			at = fallback
		}
		out = append(out, timedLine{LogLine: LogLine{Instance: f.instance, Service: f.service, Line: string(line)}, at: at})
	}
	return out
}

// lineTime reads the time of a JSON log line that starts with it, as
// log/slog's JSON handler writes: {"time":"2026-…".
func lineTime(line []byte) (time.Time, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"time":"`))
	if !ok {
		return time.Time{}, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	return at, err == nil
}

// merge orders lines by time, keeping each file's order among equal times.
func merge(lines []timedLine) {
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
}

func readAt(path string, off, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("logs: %w", err)
	}
	defer f.Close()
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("logs: read %s: %w", path, err)
	}
	return buf[:got], nil
}
