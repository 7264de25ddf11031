// Package e2e drives the widget and the console in headless Chromium against a real server,
// as a visitor and an operator would.
package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portico/portico/internal/testutil"
)

// newBrowser starts its own headless Chromium (its own profile, cookies and storage) and
// returns a tab in it.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	chromium := testutil.Need(t, "PORTICO_TEST_CHROMIUM", "Chromium (Debian package chromium)")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(width, height),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser; it must not run under a short timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// run runs browser actions with a deadline and fails the test on error.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		screenshot(t, ctx, what)
		t.Fatalf("%s: %v", what, err)
	}
}

// setOffline cuts the page off the network (requests fail, navigator.onLine is false) or
// gives the network back.
func setOffline(offline bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
		})
		if err != nil {
			return err
		}
		_, err = cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// waitJS waits until the JavaScript expression is true in the page.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			screenshot(t, ctx, what)
			t.Fatalf("not within 20 s: %s (%v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitEqual waits until the JavaScript expression gives want, and reports what it gave last.
func waitEqual(t *testing.T, ctx context.Context, what, expr, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			screenshot(t, ctx, what)
			t.Fatalf("not within 20 s: %s: got %q, want %q (%v)", what, got, want, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot keeps a picture of the page when a step fails, for the person reading the log.
func screenshot(t *testing.T, ctx context.Context, what string) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		return
	}
	dir := os.Getenv("PORTICO_TEST_SCREENSHOTS")
	if dir == "" {
		dir = os.TempDir()
	}
	name := fmt.Sprintf("%s/%s-%s.png", dir, strings.ReplaceAll(t.Name(), "/", "_"), strings.ReplaceAll(what, " ", "_"))
	if os.WriteFile(name, png, 0o644) == nil {
		t.Logf("screenshot: %s", name)
	}
}

// In the widget, everything lives in the shadow root of <portico-chat>. widget gives the
// JavaScript that finds an element there; inWidget the same as a chromedp selector.
func inWidget(selector string) chromedp.JSPath { return chromedp.JSPath(widget(selector)) }

func widget(selector string) string {
	return `document.querySelector('portico-chat')?.shadowRoot?.querySelector(` + jsString(selector) + `)`
}

func widgetAll(selector string) string {
	return `[...(document.querySelector('portico-chat')?.shadowRoot?.querySelectorAll(` + jsString(selector) + `) ?? [])]`
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
