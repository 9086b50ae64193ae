;; Histogram and partition kernels of the tree grower (see ../histogram-kernel.ts, which owns the memory layout).
;; Built into histogram.wasm.ts by `npm run build:wasm`; a test checks the two agree.
;;
;; Why WebAssembly for this one loop: it is where gradient boosting spends most of its
;; time, and as JavaScript V8 bounds-checks each of its seven typed-array reads and
;; writes per row and feature (README, Design, has the figures). The sums are
;; the same IEEE doubles added in the same order, so histograms match the JavaScript
;; loops bit for bit.
(module
  (import "env" "memory" (memory 1))

  ;; For each of the k features listed at $feats (12 bytes each: column start in $bins,
  ;; histogram byte offset, histogram byte length), zeroes that feature's buckets in $hist
  ;; and adds each of the m rows: bucket b = bins[column + rows[i]] gets
  ;; (g[i], h[i], 1) added at $hist + offset + 24 b.
  (func (export "histograms")
    (param $bins i32) (param $rows i32) (param $g i32) (param $h i32) (param $m i32)
    (param $feats i32) (param $k i32) (param $hist i32)
    (local $j i32) (local $col i32) (local $base i32) (local $i i32) (local $end i32) (local $at i32)
    (local.set $end (i32.shl (local.get $m) (i32.const 2)))
    (block $features_done
      (loop $feature
        (br_if $features_done (i32.ge_u (local.get $j) (local.get $k)))
        (local.set $col (i32.add (local.get $bins) (i32.load (local.get $feats))))
        (local.set $base (i32.add (local.get $hist) (i32.load offset=4 (local.get $feats))))
        (memory.fill (local.get $base) (i32.const 0) (i32.load offset=8 (local.get $feats)))
        (local.set $i (i32.const 0))
        (block $rows_done
          (br_if $rows_done (i32.eqz (local.get $m)))
          (loop $row
            ;; $i steps 4 bytes per row: rows[] is u32; g[] and h[] are f64 (offset 2 $i).
            (local.set $at
              (i32.add (local.get $base)
                (i32.mul
                  (i32.load8_u (i32.add (local.get $col) (i32.load (i32.add (local.get $rows) (local.get $i)))))
                  (i32.const 24))))
            (f64.store (local.get $at)
              (f64.add (f64.load (local.get $at))
                (f64.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 1))))))
            (f64.store offset=8 (local.get $at)
              (f64.add (f64.load offset=8 (local.get $at))
                (f64.load (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 1))))))
            (f64.store offset=16 (local.get $at)
              (f64.add (f64.load offset=16 (local.get $at)) (f64.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br_if $row (i32.lt_u (local.get $i) (local.get $end)))))
        (local.set $feats (i32.add (local.get $feats) (i32.const 12)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $feature))))

  ;; Stable partition of positions [$start, $end) of the row numbers at $rows and their
  ;; gradients and hessians at $g, $h (moved with them): rows whose bucket of the split
  ;; feature (column at $col in $bins) is 1..$t, or 0 (missing) when $ml is 1, go first, in
  ;; their order; the others follow, in theirs, through the spill buffers $sr, $sg, $sh.
  ;; Returns where the second group starts.
  (func (export "partition")
    (param $bins i32) (param $rows i32) (param $g i32) (param $h i32) (param $start i32) (param $end i32)
    (param $col i32) (param $t i32) (param $ml i32) (param $sr i32) (param $sg i32) (param $sh i32)
    (result i32)
    (local $i i32) (local $l i32) (local $s i32) (local $r i32) (local $b i32)
    (local.set $i (local.get $start))
    (local.set $l (local.get $start))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $r (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $b (i32.load8_u (i32.add (local.get $col) (local.get $r))))
        (if (select (local.get $ml) (i32.le_u (local.get $b) (local.get $t)) (i32.eqz (local.get $b)))
          (then
            (i32.store (i32.add (local.get $rows) (i32.shl (local.get $l) (i32.const 2))) (local.get $r))
            (f64.store (i32.add (local.get $g) (i32.shl (local.get $l) (i32.const 3)))
              (f64.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 3)))))
            (f64.store (i32.add (local.get $h) (i32.shl (local.get $l) (i32.const 3)))
              (f64.load (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $l (i32.add (local.get $l) (i32.const 1))))
          (else
            (i32.store (i32.add (local.get $sr) (i32.shl (local.get $s) (i32.const 2))) (local.get $r))
            (f64.store (i32.add (local.get $sg) (i32.shl (local.get $s) (i32.const 3)))
              (f64.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 3)))))
            (f64.store (i32.add (local.get $sh) (i32.shl (local.get $s) (i32.const 3)))
              (f64.load (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (memory.copy (i32.add (local.get $rows) (i32.shl (local.get $l) (i32.const 2))) (local.get $sr) (i32.shl (local.get $s) (i32.const 2)))
    (memory.copy (i32.add (local.get $g) (i32.shl (local.get $l) (i32.const 3))) (local.get $sg) (i32.shl (local.get $s) (i32.const 3)))
    (memory.copy (i32.add (local.get $h) (i32.shl (local.get $l) (i32.const 3))) (local.get $sh) (i32.shl (local.get $s) (i32.const 3)))
    (local.get $l))
)

