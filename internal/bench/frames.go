package bench

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// For every message the load generator writes a `send` frame and reads a `sent` and a `message`
// frame. Built with a map and encoding/json, and read by decoding each frame whole, they took a
// fifth of its CPU in the messaging phase, on the cores it shares with the nodes. These build the
// one frame it sends and pick out the few fields it reads; a frame they cannot read quickly (a
// field with an escape in it, another layout) is decoded as before.

// messageText is a message's body: it says when the message was sent.
func messageText(m *tracked) string {
	b := make([]byte, 0, 64)
	b = append(b, "bench "...)
	b = append(b, m.id...)
	b = append(b, " #"...)
	b = strconv.AppendInt(b, int64(m.n), 10)
	b = append(b, " sent "...)
	b = strconv.AppendInt(b, m.sent.UnixNano(), 10)
	return string(b)
}

// sendFrame is m's `send` frame for its conversation.
func sendFrame(conversationID string, m *tracked) []byte {
	b := make([]byte, 0, 160)
	b = append(b, `{"type":"send","conversation_id":`...)
	b = appendJSONString(b, conversationID)
	b = append(b, `,"body":`...)
	b = appendJSONString(b, messageText(m))
	b = append(b, `,"client_msg_id":`...)
	b = appendJSONString(b, m.id)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// stringAfter is the JSON string that follows key (which ends in its opening quote) where key
// first occurs in frame. Inside a string every quote is escaped, so key can only match a key of
// the frame's. It reports false for a string with an escape in it, and for a missing key.
func stringAfter(frame []byte, key string) (string, bool) {
	i := bytes.Index(frame, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := frame[i+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false
	}
	return string(rest[:end]), true
}

// intAfter is the non-negative integer that follows key (which ends in its colon) in frame.
func intAfter(frame []byte, key string) (int, bool) {
	i := bytes.Index(frame, []byte(key))
	if i < 0 {
		return 0, false
	}
	n, digits := 0, 0
	for _, c := range frame[i+len(key):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		digits++
	}
	return n, digits > 0
}

// readSent reads a `sent` frame: the message's client id, the status and a refusal's code.
func readSent(frame []byte) (sendAnswer, error) {
	var a sendAnswer
	id, idOK := stringAfter(frame, `"client_msg_id":"`)
	status, statusOK := intAfter(frame, `"status":`)
	code, codeOK := "", true
	if statusOK && status != 200 && status != 201 {
		code, codeOK = stringAfter(frame, `"code":"`)
	}
	if !idOK || !statusOK || !codeOK {
		err := json.Unmarshal(frame, &a)
		return a, err
	}
	a.ClientMsgID, a.Status, a.Error.Code = id, status, code
	return a, nil
}

// readMessage reads a `message` frame: its message's client id and its author's type.
func readMessage(frame []byte) (clientMsgID, author string, err error) {
	id, idOK := stringAfter(frame, `"client_msg_id":"`)
	author, authorOK := stringAfter(frame, `"author":{"type":"`)
	if idOK && authorOK {
		return id, author, nil
	}
	var f messageFrame
	err = json.Unmarshal(frame, &f)
	return f.Message.ClientMsgID, f.Message.Author.Type, err
}
