package mail

import (
	"context"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/portico/portico/internal/domain"
)

type portalAuthProblemData struct {
	Portal  string
	Problem string
	Detail  string
	Link    string
}

var portalAuthProblemWords = map[string]string{
	domain.ProblemUnreachable: "Portico could not reach your authentication server.",
	domain.ProblemTLS:         "Your authentication server's TLS certificate does not validate.",
	domain.ProblemProtocol:    "Your authentication server answered something that is not the protocol.",
	domain.ProblemInternal:    "Your authentication server answered with an internal error (255).",
	domain.ProblemAccessKey:   "Your authentication server refused Portico's access key (253).",
	domain.ProblemInsecureURL: "The authentication URL cannot be used.",
}

// renderPortalAuthProblem tells a portal's admin that its operators could not sign in.
func renderPortalAuthProblem(ctx context.Context, s RenderStore, m domain.OutboxMail, publicURL string) (*Email, error) {
	acc, err := s.AccountByID(ctx, m.AccountID)
	if err != nil {
		return nil, err
	}
	words := portalAuthProblemWords[m.Params.Problem]
	if words == "" {
		words = "Your authentication server had a problem."
	}
	d := portalAuthProblemData{Portal: acc.Name, Problem: words, Detail: m.Params.Detail,
		Link: strings.TrimSuffix(publicURL, "/") + "/console/portal-auth"}
	text, html, err := execute(portalAuthProblemText, portalAuthProblemHTML, d)
	if err != nil {
		return nil, err
	}
	return &Email{Subject: "Operators of " + acc.Name + " cannot sign in: authentication server problem", Text: text, HTML: html}, nil
}

var portalAuthProblemText = texttemplate.Must(texttemplate.New("portal_auth").Parse(
	`{{.Problem}}

Portal:  {{.Portal}}
Detail:  {{.Detail}}

Until it is fixed, your advertisers' operators cannot sign in with their portal accounts.
At most one such mail is sent per kind of problem per hour. The health panel:
{{.Link}}
`))

var portalAuthProblemHTML = htmltemplate.Must(htmltemplate.New("portal_auth").Parse(
	`<!doctype html><html><body style="font-family:sans-serif">
<p><strong>{{.Problem}}</strong></p>
<p>Portal: {{.Portal}}<br>Detail: {{.Detail}}</p>
<p>Until it is fixed, your advertisers' operators cannot sign in with their portal accounts.
At most one such mail is sent per kind of problem per hour.</p>
<p><a href="{{.Link}}">The health panel</a></p>
</body></html>`))
