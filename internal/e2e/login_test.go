package e2e

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/portico/portico/internal/testutil"
)

// Someone guessing on the console's login page is told, after ten wrong passwords, how long to
// wait; the form stays usable.
func TestConsoleSaysHowLongToWaitAfterTooManyFailedSignIns(t *testing.T) {
	srv := testutil.NewServer(t)
	page := newBrowser(t, 390, 800) // a phone
	run(t, page, "open the console's login page",
		chromedp.Navigate(srv.URL+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-email]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-email]`), "someone@shop.example"))
	// The page's answer once the form is back: the submit button enabled again.
	const answer = `(() => document.querySelector('[data-testid=login-submit]').disabled ? '' :
		document.querySelector('.login [role=alert]').textContent)()`
	throttled := regexp.MustCompile(`^Too many failed sign-ins from this address\. Try again in [1-6] seconds\.$`)
	for attempt := 1; ; attempt++ {
		run(t, page, fmt.Sprintf("wrong password %d", attempt),
			chromedp.SetValue(chromedp.CSS(`[data-testid=login-password]`), fmt.Sprintf("guess-%d", attempt)),
			chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)))
		var said string
		waitFor(t, "the login page's answer", func() bool {
			said = evalJS[string](t, page, answer)
			return said != ""
		})
		if throttled.MatchString(said) {
			if attempt <= 10 {
				t.Fatalf("told to wait after %d wrong passwords, want 10 first", attempt-1)
			}
			break
		}
		if said != "Wrong e-mail or password" {
			t.Fatalf("attempt %d: the page says %q", attempt, said)
		}
		if attempt == 15 {
			t.Fatal("15 wrong passwords and the page never said to wait")
		}
	}
	if focused := evalJS[string](t, page, `document.activeElement.dataset.testid`); focused != "login-password" {
		t.Fatalf("focus on %q after the refusal, want the password", focused)
	}
}
