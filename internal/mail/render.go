package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	netmail "net/mail"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/portico/portico/internal/domain"
)

// RenderStore is what rendering reads: mail refers to rows, and is written when it is sent.
type RenderStore interface {
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
	ConversationByID(ctx context.Context, id string) (*domain.Conversation, error)
	MessagesAfter(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]domain.Message, error)
	OfflineMessageByID(ctx context.Context, id string) (*domain.OfflineMessage, error)
}

// errUnrenderable is a mail that can never be rendered (what it refers to is gone or unknown):
// it is given up at once rather than retried for days.
var errUnrenderable = errors.New("cannot render")

const historyPage = 1000

// Render turns an outbox row into an e-mail. publicURL is where operators reach the console.
func Render(ctx context.Context, s RenderStore, m domain.OutboxMail, publicURL string) (*Email, error) {
	switch m.Kind {
	case domain.MailTranscriptCategory, domain.MailTranscriptOperator, domain.MailTranscriptVisitor:
		return renderTranscript(ctx, s, m, publicURL)
	case domain.MailOfflineMessage:
		return renderOffline(ctx, s, m, publicURL)
	case domain.MailPortalAuthProblem:
		return renderPortalAuthProblem(ctx, s, m, publicURL)
	}
	return nil, fmt.Errorf("%w: unknown kind %q", errUnrenderable, m.Kind)
}

type transcriptLine struct {
	Day    string // set on the first message of each day
	Time   string
	Author string
	Type   string // visitor, operator, system
	Body   string
}

type transcriptData struct {
	Heading      string
	Intro        string
	Account      string
	Category     string
	Visitor      string
	VisitorEmail string
	Listing      *domain.Listing
	Advertiser   string
	Started      string
	Closed       string
	Lines        []transcriptLine
	Link         string // the chat in the console; only in operators' mail
}

func renderTranscript(ctx context.Context, s RenderStore, m domain.OutboxMail, publicURL string) (*Email, error) {
	c, err := s.ConversationByID(ctx, m.ConversationID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, fmt.Errorf("%w: conversation %s is gone", errUnrenderable, m.ConversationID)
	}
	if err != nil {
		return nil, err
	}
	acc, err := s.AccountByID(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	visitor := c.Visitor.Name
	if visitor == "" {
		visitor = "Visitor"
	}
	d := transcriptData{
		Heading:  "Chat transcript",
		Account:  acc.Name,
		Category: m.Params.Category,
		Visitor:  visitor,
		Listing:  c.Listing,
		Started:  longTime(c.CreatedAt),
	}
	if c.Advertiser != nil {
		d.Advertiser = c.Advertiser.Name
	}
	if c.ClosedAt != nil {
		d.Closed = longTime(*c.ClosedAt)
	}
	var subject string
	switch m.Kind {
	case domain.MailTranscriptVisitor:
		d.Heading = "Your chat with " + acc.Name
		d.Intro = "Here is the chat you asked us to send you."
		subject = "Your chat with " + acc.Name
	case domain.MailTranscriptCategory:
		d.VisitorEmail = c.Visitor.Email
		d.Intro = "A chat was closed with the category " + m.Params.Category + "."
		d.Link = consoleLink(publicURL, c.ID)
		subject = "[" + m.Params.Category + "] Chat with " + visitor + " — " + acc.Name
	default:
		d.VisitorEmail = c.Visitor.Email
		d.Intro = "A copy of a chat you took part in."
		d.Link = consoleLink(publicURL, c.ID)
		subject = "Chat with " + visitor + " — " + acc.Name
	}

	var after int64
	lastDay := ""
	for {
		page, err := s.MessagesAfter(ctx, c.ID, after, historyPage)
		if err != nil {
			return nil, err
		}
		for _, msg := range page {
			if m.Params.UpToSeq > 0 && msg.Seq > m.Params.UpToSeq {
				break
			}
			line := transcriptLine{Time: msg.CreatedAt.UTC().Format("15:04"), Type: string(msg.Author.Type), Body: msg.Body}
			if day := msg.CreatedAt.UTC().Format("Monday, 2 January 2006"); day != lastDay {
				line.Day, lastDay = day, day
			}
			switch msg.Author.Type {
			case domain.AuthorVisitor:
				line.Author = visitor
			case domain.AuthorOperator:
				line.Author = msg.Author.Name
				if line.Author == "" {
					line.Author = "Operator"
				}
			default:
				line.Author = "Portico"
			}
			d.Lines = append(d.Lines, line)
		}
		if len(page) < historyPage || (m.Params.UpToSeq > 0 && page[len(page)-1].Seq >= m.Params.UpToSeq) {
			break
		}
		after = page[len(page)-1].Seq
	}
	text, html, err := execute(transcriptText, transcriptHTML, d)
	if err != nil {
		return nil, err
	}
	return &Email{Subject: subject, Text: text, HTML: html}, nil
}

type offlineData struct {
	Account  string
	Name     string
	Email    string
	Body     string
	Received string
	Link     string
}

func renderOffline(ctx context.Context, s RenderStore, m domain.OutboxMail, publicURL string) (*Email, error) {
	om, err := s.OfflineMessageByID(ctx, m.OfflineMessageID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, fmt.Errorf("%w: offline message %s is gone", errUnrenderable, m.OfflineMessageID)
	}
	if err != nil {
		return nil, err
	}
	acc, err := s.AccountByID(ctx, om.AccountID)
	if err != nil {
		return nil, err
	}
	d := offlineData{Account: acc.Name, Name: om.Name, Email: om.Email, Body: om.Body, Received: longTime(om.CreatedAt),
		Link: strings.TrimSuffix(publicURL, "/") + "/console/offline"}
	who := om.Name
	if who == "" {
		who = om.Email
	}
	text, html, err := execute(offlineText, offlineHTML, d)
	if err != nil {
		return nil, err
	}
	return &Email{
		Subject: "Message from " + who + " — " + acc.Name,
		Text:    text,
		HTML:    html,
		// Answering the mail answers the visitor.
		ReplyTo: &netmail.Address{Name: om.Name, Address: om.Email},
	}, nil
}

func consoleLink(publicURL, conversationID string) string {
	return strings.TrimSuffix(publicURL, "/") + "/console/c/" + conversationID
}

func longTime(t time.Time) string { return t.UTC().Format("Mon, 2 Jan 2006 15:04 UTC") }

func execute(text *texttemplate.Template, html *htmltemplate.Template, data any) (string, string, error) {
	var t, h bytes.Buffer
	if err := text.Execute(&t, data); err != nil {
		return "", "", err
	}
	if err := html.Execute(&h, data); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}

// indent lays out a multi-line body under its author in the text part.
func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\n    ")
}

var textFuncs = texttemplate.FuncMap{"indent": indent}

var transcriptText = texttemplate.Must(texttemplate.New("transcript").Funcs(textFuncs).Parse(
	`{{.Heading}}
{{if .Intro}}{{.Intro}}
{{end}}
Account:  {{.Account}}
{{- if .Advertiser}}
Advertiser: {{.Advertiser}}{{end}}
{{- if .Category}}
Category: {{.Category}}{{end}}
Visitor:  {{.Visitor}}{{if .VisitorEmail}} <{{.VisitorEmail}}>{{end}}
{{- if .Listing}}
Listing:  {{.Listing.Title}}{{if .Listing.URL}} {{.Listing.URL}}{{end}}{{end}}
Started:  {{.Started}}
{{- if .Closed}}
Closed:   {{.Closed}}{{end}}
{{range .Lines}}{{if .Day}}
--- {{.Day}} ---
{{end}}
[{{.Time}}] {{.Author}}:
{{indent .Body}}
{{end}}
{{- if .Link}}
Open in Portico: {{.Link}}
{{end}}
Times are UTC.
`))

const htmlHead = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
<body style="margin:0;padding:16px;background:#f4f6f8;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Arial,sans-serif;color:#1c2630;">
<div style="max-width:640px;margin:0 auto;background:#ffffff;border-radius:8px;padding:20px;">`

const htmlFoot = `</div></body></html>
`

var transcriptHTML = htmltemplate.Must(htmltemplate.New("transcript").Parse(htmlHead + `
<h1 style="font-size:20px;margin:0 0 8px;">{{.Heading}}</h1>
{{if .Intro}}<p style="margin:0 0 16px;color:#4a5866;">{{.Intro}}</p>{{end}}
<table style="border-collapse:collapse;font-size:14px;margin-bottom:16px;" role="presentation">
<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Account</td><td>{{.Account}}</td></tr>
{{if .Advertiser}}<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Advertiser</td><td>{{.Advertiser}}</td></tr>{{end}}
{{if .Category}}<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Category</td><td>{{.Category}}</td></tr>{{end}}
<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Visitor</td><td>{{.Visitor}}{{if .VisitorEmail}} &lt;<a href="mailto:{{.VisitorEmail}}">{{.VisitorEmail}}</a>&gt;{{end}}</td></tr>
{{if .Listing}}<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Listing</td><td>{{.Listing.Title}}{{if .Listing.URL}} {{.Listing.URL}}{{end}}</td></tr>{{end}}
<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Started</td><td>{{.Started}}</td></tr>
{{if .Closed}}<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Closed</td><td>{{.Closed}}</td></tr>{{end}}
</table>
{{range .Lines}}{{if .Day}}<p style="text-align:center;color:#6b7785;font-size:12px;margin:16px 0 8px;">{{.Day}}</p>{{end}}
<div style="margin:0 0 10px;padding:8px 12px;border-radius:6px;background:{{if eq .Type "operator"}}#e8f1f8{{else if eq .Type "visitor"}}#f1f3f5{{else}}#fff8e1{{end}};">
<div style="font-size:12px;color:#4a5866;margin-bottom:2px;"><strong>{{.Author}}</strong> · {{.Time}}</div>
<div style="white-space:pre-wrap;word-wrap:break-word;font-size:14px;">{{.Body}}</div>
</div>
{{end}}
{{if .Link}}<p style="margin:16px 0 0;"><a href="{{.Link}}">Open in Portico</a></p>{{end}}
<p style="margin:16px 0 0;color:#6b7785;font-size:12px;">Times are UTC.</p>
` + htmlFoot))

var offlineText = texttemplate.Must(texttemplate.New("offline").Funcs(textFuncs).Parse(
	`A visitor left a message for {{.Account}} while nobody was online.

Name:     {{if .Name}}{{.Name}}{{else}}(not given){{end}}
E-mail:   {{.Email}}
Received: {{.Received}}

{{indent .Body}}

Reply to this e-mail to answer {{if .Name}}{{.Name}}{{else}}the visitor{{end}}.
All offline messages: {{.Link}}
`))

var offlineHTML = htmltemplate.Must(htmltemplate.New("offline").Parse(htmlHead + `
<h1 style="font-size:20px;margin:0 0 8px;">Message left for {{.Account}}</h1>
<p style="margin:0 0 16px;color:#4a5866;">A visitor left a message while nobody was online.</p>
<table style="border-collapse:collapse;font-size:14px;margin-bottom:16px;" role="presentation">
<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Name</td><td>{{if .Name}}{{.Name}}{{else}}(not given){{end}}</td></tr>
<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">E-mail</td><td><a href="mailto:{{.Email}}">{{.Email}}</a></td></tr>
<tr><td style="padding:2px 12px 2px 0;color:#4a5866;">Received</td><td>{{.Received}}</td></tr>
</table>
<div style="white-space:pre-wrap;word-wrap:break-word;font-size:14px;padding:8px 12px;border-radius:6px;background:#f1f3f5;">{{.Body}}</div>
<p style="margin:16px 0 0;">Reply to this e-mail to answer {{if .Name}}{{.Name}}{{else}}the visitor{{end}}. <a href="{{.Link}}">All offline messages</a></p>
` + htmlFoot))
