/** A 2-D point as `[x, y]`. */
export type Point = readonly [number, number];

/** x' = a*x - b*y + tx, y' = b*x + a*y + ty (rotation + uniform scale + translation). */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/** Least-squares similarity mapping `from[i]` onto `to[i]` (Umeyama 1991, 2-D closed form). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  const n = from.length;
  let fx = 0;
  let fy = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i]![0];
    fy += from[i]![1];
    tx += to[i]![0];
    ty += to[i]![1];
  }
  fx /= n;
  fy /= n;
  tx /= n;
  ty /= n;
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i]![0] - fx;
    const py = from[i]![1] - fy;
    const qx = to[i]![0] - tx;
    const qy = to[i]![1] - ty;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

export function applySimilarity(transform: Similarity, point: Point): [number, number] {
  return [transform.a * point[0] - transform.b * point[1] + transform.tx, transform.b * point[0] + transform.a * point[1] + transform.ty];
}

export function invertSimilarity(transform: Similarity): Similarity {
  const scale2 = transform.a * transform.a + transform.b * transform.b;
  const a = transform.a / scale2;
  const b = -transform.b / scale2;
  return { a, b, tx: -(a * transform.tx - b * transform.ty), ty: -(b * transform.tx + a * transform.ty) };
}

/** Row-major 3x3 projective matrix. */
export type Homography = Float64Array;

/**
 * Exact homography taking four points `from` onto four points `to` (DLT with h33 = 1, solved by
 * Gaussian elimination with partial pivoting). Returns null when the points are degenerate.
 */
export function fitHomography(from: readonly Point[], to: readonly Point[]): Homography | null {
  const rows: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let column = 0; column < 8; column++) {
    let pivot = column;
    for (let r = column + 1; r < 8; r++) if (Math.abs(rows[r]![column]!) > Math.abs(rows[pivot]![column]!)) pivot = r;
    if (Math.abs(rows[pivot]![column]!) < 1e-12) return null;
    [rows[column], rows[pivot]] = [rows[pivot]!, rows[column]!];
    const pivotRow = rows[column]!;
    for (let r = 0; r < 8; r++) {
      if (r === column) continue;
      const row = rows[r]!;
      const factor = row[column]! / pivotRow[column]!;
      if (factor === 0) continue;
      for (let k = column; k < 9; k++) row[k] = row[k]! - factor * pivotRow[k]!;
    }
  }
  const h = new Float64Array(9);
  for (let i = 0; i < 8; i++) h[i] = rows[i]![8]! / rows[i]![i]!;
  h[8] = 1;
  return h;
}

export function applyHomography(h: Homography, x: number, y: number): [number, number] {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
}

export function invertHomography(h: Homography): Homography {
  const [a, b, c, d, e, f, g, k, l] = h as unknown as number[];
  const out = new Float64Array([
    e! * l! - f! * k!,
    c! * k! - b! * l!,
    b! * f! - c! * e!,
    f! * g! - d! * l!,
    a! * l! - c! * g!,
    c! * d! - a! * f!,
    d! * k! - e! * g!,
    b! * g! - a! * k!,
    a! * e! - b! * d!,
  ]);
  const scale = out[8]!;
  for (let i = 0; i < 9; i++) out[i] = out[i]! / scale;
  return out;
}
