package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelEncrypts sends 20 encryptions at once to a server with two
// workers: all succeed with distinct records, no more than two run at a
// time, the others queue, the heap stays bounded, and the pages answer
// promptly throughout.
func TestParallelEncrypts(t *testing.T) {
	const n = 20
	s := newServer(t, Config{Workers: 2})
	ts := httptest.NewServer(s)
	defer ts.Close()
	img := readFile(t, sampleJPEG)

	var (
		maxRunning, maxWaiting atomic.Int64
		peakHeap               atomic.Uint64
		done                   = make(chan struct{})
		watch                  sync.WaitGroup
	)
	watch.Add(1)
	go func() { // sample the worker slots and the heap during the burst
		defer watch.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if r := int64(len(s.slots)); r > maxRunning.Load() {
				maxRunning.Store(r)
			}
			if w := int64(len(s.waiting)); w > maxWaiting.Load() {
				maxWaiting.Store(w)
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
		}
	}()

	ids := make([]string, n)
	errs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, ct := multipartBody(t, file("image", "x.jpeg", img), field("codec", "jpeg"))
			req, _ := http.NewRequest("POST", ts.URL+"/api/encrypt", body)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			var r encryptResponse
			if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&r) != nil || r.Key == "" {
				errs[i] = resp.Status
				return
			}
			ids[i] = r.ID
		}()
	}

	// While the burst runs, the pages and the records list answer at once.
	var slowest time.Duration
	deadline := time.Now().Add(time.Minute)
	for maxWaiting.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, path := range []string{"/", "/decrypt", "/static/app.js", "/api/records", "/records"} {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s during the burst: %s", path, resp.Status)
		}
		slowest = max(slowest, time.Since(start))
	}
	wg.Wait()
	close(done)
	watch.Wait()

	seen := map[string]bool{}
	for i := range n {
		if errs[i] != "" {
			t.Errorf("request %d: %s", i, errs[i])
			continue
		}
		if seen[ids[i]] {
			t.Errorf("record id %s twice", ids[i])
		}
		seen[ids[i]] = true
	}
	t.Logf("%d encryptions: at most %d running, %d waiting; peak heap %d MiB; slowest page %v",
		n, maxRunning.Load(), maxWaiting.Load(), peakHeap.Load()>>20, slowest)
	if maxRunning.Load() > 2 {
		t.Errorf("%d encryptions ran at once, want at most 2", maxRunning.Load())
	}
	if maxWaiting.Load() == 0 {
		t.Error("no request ever waited: the burst was not parallel")
	}
	if slowest > 5*time.Second {
		t.Errorf("a page took %v during the burst", slowest)
	}
	if peakHeap.Load() > 1<<30 {
		t.Errorf("peak heap %d MiB during the burst", peakHeap.Load()>>20)
	}
	if recs := len(seen); recs != n {
		t.Errorf("%d distinct records, want %d", recs, n)
	}
}
