package observe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxAttrsLength bounds the rendered extra attributes of one line.
const maxAttrsLength = 2048

// LogLine is one line of an instance's log.
type LogLine struct {
	// Seq numbers the lines in the order the tail read them, from 1.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Level is "DEBUG", "INFO", "WARN", "ERROR", or "" for a line that is
	// not JSON (Msg then holds the whole line).
	Level    string `json:"level"`
	Msg      string `json:"msg"`
	Service  string `json:"service"`
	Instance string `json:"instance"`
	TraceID  string `json:"trace_id,omitempty"`
	SpanID   string `json:"span_id,omitempty"`
	// Attrs are the line's other fields, "key=value" separated by spaces,
	// sorted by key.
	Attrs string `json:"attrs,omitempty"`
	// version is the line's service version, remembered per instance.
	version string
}

// parseLogLine reads one line of instance's log: slog's JSON when it is
// JSON, the raw text otherwise. A line without a time of its own gets at.
func parseLogLine(instance string, raw []byte, at time.Time) LogLine {
	l := LogLine{Time: at, Instance: instance, Service: serviceOfInstance(instance)}
	raw = bytes.TrimRight(raw, "\r")
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if len(raw) == 0 || raw[0] != '{' || dec.Decode(&fields) != nil {
		l.Msg = clip(string(raw), maxValueLength*8)
		return l
	}
	take := func(key string) string {
		v, _ := fields[key].(string)
		delete(fields, key)
		return clip(v, maxNameLength)
	}
	if t, err := time.Parse(time.RFC3339Nano, take("time")); err == nil {
		l.Time = t
	}
	l.Level = strings.ToUpper(take("level"))
	switch m := fields["msg"].(type) {
	case nil:
	case string:
		l.Msg = clip(m, maxValueLength*8)
	default:
		l.Msg = clip(fmt.Sprint(m), maxValueLength*8)
	}
	delete(fields, "msg")
	if svc := take("service"); svc != "" {
		l.Service = svc
	}
	if inst := take("instance"); inst != "" {
		l.Instance = inst
	}
	l.version = take("version")
	l.TraceID = take("trace_id")
	l.SpanID = take("span_id")
	l.Attrs = renderAttrs(fields)
	return l
}

// renderAttrs renders fields as "key=value" pairs sorted by key.
func renderAttrs(fields map[string]any) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sb strings.Builder
	for _, k := range keys {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(k)
		sb.WriteByte('=')
		switch v := fields[k].(type) {
		case string:
			if strings.ContainsAny(v, " \t\"=") || v == "" {
				sb.WriteString(strconv.Quote(v))
			} else {
				sb.WriteString(v)
			}
		default:
			b, _ := json.Marshal(v)
			sb.Write(b)
		}
		if sb.Len() > maxAttrsLength {
			break
		}
	}
	return clip(sb.String(), maxAttrsLength)
}

// serviceOfInstance is the service of an instance id: "catalog-2" is
// "catalog"; an id without a numeric suffix is its own service.
func serviceOfInstance(id string) string {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return id
	}
	if _, err := strconv.Atoi(id[i+1:]); err != nil {
		return id
	}
	return id[:i]
}

// levelRank orders levels; unknown levels (and raw lines) rank as INFO.
func levelRank(level string) int {
	switch {
	case strings.HasPrefix(level, "DEBUG"):
		return 0
	case strings.HasPrefix(level, "WARN"):
		return 2
	case strings.HasPrefix(level, "ERROR"):
		return 3
	}
	return 1
}
