;; Binning kernels (see ../binning-kernel.ts, which owns the memory layout). Built into
;; binning.wasm.ts by `npm run build:wasm`; a test checks the two agree.
;;
;; Why WebAssembly: binning sorts every column once, and a fit runs once per process in
;; CI, so this code always runs cold. As JavaScript it spent most of a first binning
;; interpreted or waiting to be compiled; WebAssembly is compiled before it runs.
(module
  (import "env" "memory" (memory 1))

  ;; Row numbers of the non-NaN values of the n doubles at $col, in ascending order of
  ;; value (ties in row order, -0 before +0), written to $idx; returns how many.
  ;; Least-significant-digit radix sort on 64-bit keys whose unsigned order is the
  ;; numeric order (every bit of a negative number flipped, only the sign bit of a
  ;; positive one); passes where every key has the same byte are skipped.
  ;; Scratch: $keys and $keys2 (8n bytes each), $idx2 (4n), $counts (8 KiB).
  (func (export "order")
    (param $col i32) (param $n i32) (param $keys i32) (param $idx i32) (param $keys2 i32) (param $idx2 i32) (param $counts i32)
    (result i32)
    (local $i i32) (local $m i32) (local $x f64) (local $k i64) (local $pass i32) (local $base i32)
    (local $b i32) (local $c i32) (local $sum i32) (local $skip i32) (local $at i32) (local $shift i64) (local $t i32)
    (local $srcK i32) (local $srcI i32) (local $dstK i32) (local $dstI i32)
    ;; Keys of the non-NaN values.
    (block $loaded
      (loop $load
        (br_if $loaded (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f64.load (i32.add (local.get $col) (i32.shl (local.get $i) (i32.const 3)))))
        (if (f64.eq (local.get $x) (local.get $x))
          (then
            (local.set $k (i64.reinterpret_f64 (local.get $x)))
            (local.set $k
              (select
                (i64.xor (local.get $k) (i64.const -1))
                (i64.or (local.get $k) (i64.const 0x8000000000000000))
                (i64.lt_s (local.get $k) (i64.const 0))))
            (i64.store (i32.add (local.get $keys) (i32.shl (local.get $m) (i32.const 3))) (local.get $k))
            (i32.store (i32.add (local.get $idx) (i32.shl (local.get $m) (i32.const 2))) (local.get $i))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $load)))
    (if (i32.eqz (local.get $m)) (then (return (i32.const 0))))
    ;; All eight byte histograms in one pass: counts[256 p + byte p of the key].
    (memory.fill (local.get $counts) (i32.const 0) (i32.const 8192))
    (local.set $i (i32.const 0))
    (block $counted
      (loop $count
        (br_if $counted (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $k (i64.load (i32.add (local.get $keys) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $pass (i32.const 0))
        (loop $byte
          (local.set $at
            (i32.add (local.get $counts)
              (i32.shl
                (i32.add (i32.shl (local.get $pass) (i32.const 8))
                  (i32.wrap_i64 (i64.and (i64.shr_u (local.get $k) (i64.extend_i32_u (i32.shl (local.get $pass) (i32.const 3)))) (i64.const 255))))
                (i32.const 2))))
          (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
          (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
          (br_if $byte (i32.lt_u (local.get $pass) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $count)))
    (local.set $srcK (local.get $keys))
    (local.set $srcI (local.get $idx))
    (local.set $dstK (local.get $keys2))
    (local.set $dstI (local.get $idx2))
    (local.set $pass (i32.const 0))
    (loop $passes
      (local.set $base (i32.add (local.get $counts) (i32.shl (local.get $pass) (i32.const 10))))
      ;; Counts become each byte value's first slot; a byte shared by every key skips the pass.
      (local.set $skip (i32.const 0))
      (local.set $sum (i32.const 0))
      (local.set $b (i32.const 0))
      (block $summed
        (loop $prefix
          (br_if $summed (i32.ge_u (local.get $b) (i32.const 256)))
          (local.set $at (i32.add (local.get $base) (i32.shl (local.get $b) (i32.const 2))))
          (local.set $c (i32.load (local.get $at)))
          (if (i32.eq (local.get $c) (local.get $m)) (then (local.set $skip (i32.const 1)) (br $summed)))
          (i32.store (local.get $at) (local.get $sum))
          (local.set $sum (i32.add (local.get $sum) (local.get $c)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $prefix)))
      (if (i32.eqz (local.get $skip))
        (then
          (local.set $shift (i64.extend_i32_u (i32.shl (local.get $pass) (i32.const 3))))
          (local.set $i (i32.const 0))
          (loop $scatter
            (local.set $k (i64.load (i32.add (local.get $srcK) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $at
              (i32.add (local.get $base)
                (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $k) (local.get $shift)) (i64.const 255))) (i32.const 2))))
            (local.set $t (i32.load (local.get $at)))
            (i32.store (local.get $at) (i32.add (local.get $t) (i32.const 1)))
            (i64.store (i32.add (local.get $dstK) (i32.shl (local.get $t) (i32.const 3))) (local.get $k))
            (i32.store (i32.add (local.get $dstI) (i32.shl (local.get $t) (i32.const 2)))
              (i32.load (i32.add (local.get $srcI) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $scatter (i32.lt_u (local.get $i) (local.get $m))))
          ;; Swap source and destination.
          (local.set $t (local.get $srcK)) (local.set $srcK (local.get $dstK)) (local.set $dstK (local.get $t))
          (local.set $t (local.get $srcI)) (local.set $srcI (local.get $dstI)) (local.set $dstI (local.get $t))))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br_if $passes (i32.lt_u (local.get $pass) (i32.const 8))))
    (if (i32.ne (local.get $srcI) (local.get $idx))
      (then (memory.copy (local.get $idx) (local.get $srcI) (i32.shl (local.get $m) (i32.const 2)))))
    (local.get $m))

  ;; out[k] = col[idx[k]] for k < m (the sorted values).
  (func (export "gather") (param $col i32) (param $idx i32) (param $m i32) (param $out i32)
    (local $k i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $m)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3)))
          (f64.load (i32.add (local.get $col)
            (i32.shl (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 3)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next))))

  ;; Buckets of a column whose non-NaN rows are listed in ascending order at $idx: n bytes
  ;; at $out, 0 for NaN rows, else 1 + the number of the $ne edges (f64 at $edges) below
  ;; the value (bucket b + 1 holds edges[b - 1] < x <= edges[b]).
  (func (export "bins") (param $col i32) (param $n i32) (param $idx i32) (param $m i32) (param $edges i32) (param $ne i32) (param $out i32)
    (local $k i32) (local $b i32) (local $r i32) (local $x f64)
    (memory.fill (local.get $out) (i32.const 0) (local.get $n))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $m)))
        (local.set $r (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $x (f64.load (i32.add (local.get $col) (i32.shl (local.get $r) (i32.const 3)))))
        (block $found
          (loop $advance
            (br_if $found (i32.ge_u (local.get $b) (local.get $ne)))
            (br_if $found (i32.eqz (f64.gt (local.get $x)
              (f64.load (i32.add (local.get $edges) (i32.shl (local.get $b) (i32.const 3)))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $advance)))
        (i32.store8 (i32.add (local.get $out) (local.get $r)) (i32.add (local.get $b) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next))))
;; Buckets of n values at $col by binary search over the $ne edges at $edges: n bytes at
  ;; $out, 0 for NaN, else 1 + the number of edges below the value (as above). For
  ;; columns too long to sort whole, whose edges come from a sample. The search is
  ;; branch-free (the step is chosen with `select`, and the number of steps depends only
  ;; on $ne), so unpredictable values cost no mispredicted branches.
  (func (export "search") (param $col i32) (param $n i32) (param $edges i32) (param $ne i32) (param $out i32)
    (local $i i32) (local $x f64) (local $base i32) (local $len i32) (local $half i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f64.load (i32.add (local.get $col) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $base (i32.const 0))
        (if (i32.gt_u (local.get $ne) (i32.const 0))
          (then
            (local.set $len (local.get $ne))
            (block $found
              (loop $halve
                (br_if $found (i32.le_u (local.get $len) (i32.const 1)))
                (local.set $half (i32.shr_u (local.get $len) (i32.const 1)))
                (local.set $base
                  (select
                    (i32.add (local.get $base) (local.get $half))
                    (local.get $base)
                    (f64.lt
                      (f64.load (i32.add (local.get $edges) (i32.shl (i32.add (local.get $base) (local.get $half)) (i32.const 3))))
                      (local.get $x))))
                (local.set $len (i32.sub (local.get $len) (local.get $half)))
                (br $halve)))
            (local.set $base
              (i32.add (local.get $base)
                (f64.lt (f64.load (i32.add (local.get $edges) (i32.shl (local.get $base) (i32.const 3)))) (local.get $x))))))
        ;; NaN: no edge is below it, but its bucket is 0.
        (i32.store8 (i32.add (local.get $out) (local.get $i))
          (select (i32.add (local.get $base) (i32.const 1)) (i32.const 0) (f64.eq (local.get $x) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
)
