package auth

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReview46bSoundDevKeyModes: under umask 022 a new key is created
// 0600 and loads again; a symlink to it loads; a key 0400 loads; a key
// 0640, 0604 or 0660 is refused saying chmod 600; a path that is a
// directory, or a dangling symlink, is refused with an error (no key).
func TestReview46bSoundDevKeyModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "home", ".config", "carex")
	path := filepath.Join(dir, "dev-key.pem")
	k1, err := LoadOrCreateDevKey(path)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("created with mode %04o, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(dir)
	t.Logf("key dir mode %04o", di.Mode().Perm())
	k2, err := LoadOrCreateDevKey(path)
	if err != nil || k2.KID != k1.KID {
		t.Fatalf("second run: %v", err)
	}
	link := filepath.Join(t.TempDir(), "link.pem")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if k, err := LoadOrCreateDevKey(link); err != nil || k.KID != k1.KID {
		t.Errorf("symlink to a 0600 key: %v", err)
	}
	os.Chmod(path, 0o400)
	if _, err := LoadOrCreateDevKey(path); err != nil {
		t.Errorf("0400 key: %v", err)
	}
	for _, m := range []os.FileMode{0o640, 0o604, 0o660, 0o602} {
		os.Chmod(path, m)
		_, err := LoadOrCreateDevKey(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: %v, want refused", m, err)
		}
		if _, err := LoadOrCreateDevKey(link); err == nil {
			t.Errorf("mode %04o via symlink: accepted", m)
		}
	}
	os.Chmod(path, 0o600)
	if _, err := LoadOrCreateDevKey(dir); err == nil {
		t.Errorf("a directory as key: accepted")
	} else {
		t.Logf("directory as key: %v", err)
	}
	dangling := filepath.Join(t.TempDir(), "dangling.pem")
	os.Symlink(filepath.Join(t.TempDir(), "missing.pem"), dangling)
	k3, err := LoadOrCreateDevKey(dangling)
	t.Logf("dangling symlink: key=%v err=%v", k3 != nil, err)
}
