package auditlog

import (
	"crypto/sha256"
	"fmt"
	"hash"

	"golang.org/x/mod/sumdb/tlog"
)

// compactRange is the right edge of a Merkle tree of size n: the hashes of
// the perfect subtrees that make up leaves [0,n), largest first, with their
// tlog stored-hash indexes. It is all that is needed to append a leaf
// (tlog.StoredHashesForRecordHash reads only these) or to compute the tree
// head (tlog.TreeHash reads only these).
type compactRange struct {
	n      int64
	hashes []tlog.Hash
	idx    []int64
}

func (c *compactRange) clone() *compactRange {
	return &compactRange{n: c.n, hashes: append([]tlog.Hash(nil), c.hashes...), idx: append([]int64(nil), c.idx...)}
}

// ReadHashes implements tlog.HashReader over the range.
func (c *compactRange) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		j := len(c.idx) - 1
		for j >= 0 && c.idx[j] != x {
			j--
		}
		if j < 0 {
			return nil, fmt.Errorf("auditlog: stored hash %d is not on the right edge of the tree (size %d)", x, c.n)
		}
		out[i] = c.hashes[j]
	}
	return out, nil
}

// push records the stored hashes of leaf c.n, as returned by
// tlog.StoredHashesForRecordHash: hashes[l] is the new subtree at level l.
func (c *compactRange) push(hashes []tlog.Hash) {
	m := len(hashes) - 1
	k := len(c.hashes) - m
	c.hashes = append(c.hashes[:k], hashes[m])
	c.idx = append(c.idx[:k], tlog.StoredHashIndex(m, c.n>>m))
	c.n++
}

// add appends a leaf hash computing the stored hashes itself (Verify's fast
// path; same result as tlog.StoredHashesForRecordHash). dst receives the
// stored hashes when non-nil.
func (c *compactRange) add(h tlog.Hash, hh *hasher, dst *[]tlog.Hash) {
	n := c.n
	if dst != nil {
		*dst = append((*dst)[:0], h)
	}
	l := 0
	for ; n>>l&1 == 1; l++ {
		top := len(c.hashes) - 1
		h = hh.node(c.hashes[top], h)
		c.hashes, c.idx = c.hashes[:top], c.idx[:top]
		if dst != nil {
			*dst = append(*dst, h)
		}
	}
	c.hashes = append(c.hashes, h)
	c.idx = append(c.idx, tlog.StoredHashIndex(l, n>>l))
	c.n++
}

// root is the RFC 6962 tree head (tlog.TreeHash) of the range.
func (c *compactRange) root(hh *hasher) tlog.Hash {
	if len(c.hashes) == 0 {
		return tlog.Hash{}
	}
	h := c.hashes[len(c.hashes)-1]
	for i := len(c.hashes) - 2; i >= 0; i-- {
		h = hh.node(c.hashes[i], h)
	}
	return h
}

// rightEdge lists the stored-hash indexes of the perfect subtrees making up
// a tree of size n, largest first.
func rightEdge(n int64) []int64 {
	var out []int64
	var start int64
	for l := 62; l >= 0; l-- {
		if n&(1<<l) != 0 {
			out = append(out, tlog.StoredHashIndex(l, start>>l))
			start += 1 << l
		}
	}
	return out
}

// hasher computes the RFC 6962 hashes without allocating.
type hasher struct {
	d   hash.Hash
	out []byte
	buf [1 + 2*tlog.HashSize]byte
}

func newHasher() *hasher { return &hasher{d: sha256.New(), out: make([]byte, 0, sha256.Size)} }

var zero = []byte{0}

// leaf is tlog.RecordHash.
func (x *hasher) leaf(data []byte) (h tlog.Hash) {
	x.d.Reset()
	x.d.Write(zero)
	x.d.Write(data)
	x.out = x.d.Sum(x.out[:0])
	copy(h[:], x.out)
	return h
}

// node is tlog.NodeHash.
func (x *hasher) node(l, r tlog.Hash) tlog.Hash {
	x.buf[0] = 1
	copy(x.buf[1:], l[:])
	copy(x.buf[1+tlog.HashSize:], r[:])
	return sha256.Sum256(x.buf[:])
}

// chain is SHA-256(prev || leaf).
func (x *hasher) chain(prev, leaf tlog.Hash) tlog.Hash {
	copy(x.buf[:], prev[:])
	copy(x.buf[tlog.HashSize:], leaf[:])
	return sha256.Sum256(x.buf[:2*tlog.HashSize])
}
