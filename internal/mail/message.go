package mail

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Email is what a mail says, before it is addressed and encoded.
type Email struct {
	Subject string
	Text    string // the text/plain part
	HTML    string // the text/html part; every piece of user text in it is escaped
	ReplyTo *netmail.Address
}

// Compose encodes an e-mail as an RFC 5322 message with CRLF line ends: a multipart/alternative
// body with a text/plain and a text/html part, both UTF-8 in quoted-printable, so that the
// message is 7-bit clean whatever people typed. Names and the subject are RFC 2047 encoded when
// they need it. messageID is the left part of the Message-ID; the sender's domain is the right.
func Compose(from *netmail.Address, to string, e *Email, messageID string, date time.Time) ([]byte, error) {
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	if strings.ContainsAny(to, "\r\n") {
		return nil, fmt.Errorf("recipient %q has a line break", to)
	}
	header("From", from.String())
	header("To", (&netmail.Address{Address: to}).String())
	if e.ReplyTo != nil {
		header("Reply-To", e.ReplyTo.String())
	}
	header("Subject", encodeHeader(e.Subject))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+messageID+"@"+domainOf(from.Address)+">")
	header("MIME-Version", "1.0")
	// Automatic mail: no vacation replies or read receipts back to Portico (RFC 3834).
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")

	body := multipart.NewWriter(&b)
	header("Content-Type", `multipart/alternative; boundary="`+body.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ mediaType, content string }{
		{"text/plain", e.Text},
		{"text/html", e.HTML},
	} {
		w, err := body.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.mediaType + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := body.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeHeader makes one header line of text: line breaks become spaces (no header injection)
// and non-ASCII text becomes RFC 2047 encoded words, folded between words.
func encodeHeader(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	enc := mime.QEncoding.Encode("utf-8", s)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

func domainOf(address string) string {
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		return address[i+1:]
	}
	return "localhost"
}
