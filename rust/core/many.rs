//! Running a per-size token rule over many sizes (the vectorised `num_tokens_many`).

use super::error::{invalid_arg, Result};
use super::geometry::RowErrors;

/// Writes `rule(height, width)` for every row into `out`; refused rows either stop the
/// run (naming the row) or get `-1`, as `on_error` says.
///
/// # Errors
/// Slices of different lengths, or with [`RowErrors::Raise`] the first refused row
/// (negative sizes included).
pub fn map_sizes(
    heights: &[i64],
    widths: &[i64],
    on_error: RowErrors,
    out: &mut [i64],
    rule: impl Fn(u64, u64) -> Result<u64>,
) -> Result<()> {
    map_rows(heights, widths, on_error, out, |_, h, w| rule(h, w))
}

/// [`map_sizes`] with the row index passed to `rule` (for rules that read other per-row
/// columns).
///
/// # Errors
/// As [`map_sizes`].
pub fn map_rows(
    heights: &[i64],
    widths: &[i64],
    on_error: RowErrors,
    out: &mut [i64],
    rule: impl Fn(usize, u64, u64) -> Result<u64>,
) -> Result<()> {
    let n = heights.len();
    if widths.len() != n || out.len() != n {
        return invalid_arg!(
            "heights and widths must have the same length, got {} and {}",
            n,
            widths.len()
        );
    }
    for i in 0..n {
        let (h, w) = (heights[i], widths[i]);
        let r = match (u64::try_from(h), u64::try_from(w)) {
            (Ok(h), Ok(w)) => rule(i, h, w),
            _ => invalid_arg!("sides must be positive, got ({h}, {w})"),
        };
        match (r, on_error) {
            (Ok(t), _) => out[i] = t as i64,
            (Err(_), RowErrors::Mask) => out[i] = -1,
            (Err(e), RowErrors::Raise) => return Err(e.context(&format!("row {i}"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_masks_and_raises() {
        let rule = |h: u64, w: u64| {
            if h == 0 || w == 0 {
                invalid_arg!("zero side")
            } else {
                Ok(h * w)
            }
        };
        let mut out = [0i64; 3];
        map_sizes(&[2, 0, -1], &[3, 4, 5], RowErrors::Mask, &mut out, rule).unwrap();
        assert_eq!(out, [6, -1, -1]);
        let e = map_sizes(&[2, 0], &[3, 4], RowErrors::Raise, &mut out[..2], rule).unwrap_err();
        assert!(e.to_string().starts_with("row 1:"));
        assert!(map_sizes(&[2], &[3, 4], RowErrors::Raise, &mut out[..1], rule).is_err());
    }
}
