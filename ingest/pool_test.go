package ingest

import "testing"

func TestFreeListKeepsWithinItsBound(t *testing.T) {
	var f freeList[byte]
	if f.get(10) != nil {
		t.Fatal("an empty list returned a slice")
	}
	f.put(make([]byte, 0, 100))
	f.put(make([]byte, 0, 1000))
	if s := f.get(500); cap(s) != 1000 {
		t.Fatalf("get(500) returned capacity %d, want the 1000 one", cap(s))
	}
	if s := f.get(500); s != nil {
		t.Fatalf("get(500) returned capacity %d with only 100 kept", cap(s))
	}
	if s := f.get(50); cap(s) != 100 {
		t.Fatalf("get(50) returned capacity %d, want 100", cap(s))
	}
	f.put(make([]byte, 0, maxPooledBytes+1))
	if f.bytes != 0 || len(f.list) != 0 {
		t.Fatalf("a slice over the bound was kept: %d bytes in %d slices", f.bytes, len(f.list))
	}
}
