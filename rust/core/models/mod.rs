//! The model families, one module each, all of one shape ([`Family`]).
//!
//! A family is a validated configuration (built once, used for many items) that answers
//! three questions, each rule living in its module and nowhere else:
//! - **plan**: from an image's size alone, what the family does with it (resized size,
//!   grid, tiles, crops) and how many tokens it takes ([`Family::plan`], [`Plan`]);
//! - **num_tokens_many**: the same count for many sizes at once, through the same rule;
//! - **pixels**: one image's model-ready values for its plan ([`Family::image_into`]),
//!   batched by [`images_into`] on the shared [`pipeline`] (RGB conversion, resize,
//!   normalisation table, planar writers).
//!
//! Video paths and prompt layouts that only some families have are plain functions of
//! those families' modules. Position ids live in [`crate::core::rope`].

pub mod internvl;
pub mod llava_onevision;
pub mod oryx;
pub mod pipeline;
pub mod qwen2vl;

use super::error::{invalid_arg, Result};
use super::geometry::RowErrors;
use super::image::ImageRef;
use super::many::map_sizes;
use super::par;
use pipeline::Pixels;

/// Which upstream implementation a family reproduces where they disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The model authors' code (OpenGVLab InternVL, LLaVA-NeXT).
    Original,
    /// The transformers port.
    Transformers,
}

impl Reference {
    /// Every reference, in the order the Python API lists them.
    pub const ALL: [Reference; 2] = [Reference::Original, Reference::Transformers];

    /// The name used by the Python API.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Reference::Original => "original",
            Reference::Transformers => "transformers",
        }
    }

    /// Parses `"original"` or `"transformers"`.
    ///
    /// # Errors
    /// [`crate::core::Error::InvalidArgument`] listing the accepted names.
    pub fn parse(name: &str) -> Result<Self> {
        match Self::ALL.into_iter().find(|r| r.name() == name) {
            Some(r) => Ok(r),
            None => invalid_arg!("unknown reference {name:?}; accepted: original, transformers"),
        }
    }
}

/// What a family decided for one image.
pub trait Plan {
    /// Placeholder tokens of the prompt that the vision side fills (one per feature the
    /// LLM sees, learned newline/separator embeddings included).
    fn num_tokens(&self) -> u64;
    /// Text tokens the prompt template adds around those placeholders (start/end tokens,
    /// `<img>`/`</img>`); 0 where the family adds none.
    fn wrapper_tokens(&self) -> u64;
    /// Output values the image's pixels occupy; `None` where the count overflows.
    fn pixel_len(&self) -> Option<usize>;
}

/// One model family's configuration: plans from sizes, pixels for one image.
pub trait Family: Sync {
    /// What [`Family::plan`] returns.
    type Plan: Plan + Send + Sync;

    /// Whether a batch pads every image's slot to the largest one (filled with the
    /// output type's zero) instead of concatenating them.
    const PADDED_BATCH: bool = false;

    /// The plan for a `height × width` image.
    ///
    /// # Errors
    /// Sizes the family refuses (zero or oversized sides, extreme aspect ratios).
    fn plan(&self, height: u64, width: u64) -> Result<Self::Plan>;

    /// [`Plan::num_tokens`] of [`Family::plan`].
    ///
    /// # Errors
    /// As [`Family::plan`].
    fn num_tokens(&self, height: u64, width: u64) -> Result<u64> {
        self.plan(height, width).map(|p| p.num_tokens())
    }

    /// [`Family::num_tokens`] for every `(heights[i], widths[i])` into `out`; refused rows
    /// raise (naming the row) or become `-1`, as `on_error` says.
    ///
    /// # Errors
    /// Slices of different lengths, or with [`RowErrors::Raise`] the first refused row.
    fn num_tokens_many(
        &self,
        heights: &[i64],
        widths: &[i64],
        on_error: RowErrors,
        out: &mut [i64],
    ) -> Result<()> {
        map_sizes(heights, widths, on_error, out, |h, w| self.num_tokens(h, w))
    }

    /// Writes one image's values for `plan` (exactly [`Plan::pixel_len`] of them).
    ///
    /// # Errors
    /// Invalid images or an `out` of the wrong length.
    fn image_into<T: Copy + Send + Sync>(
        &self,
        image: &ImageRef<'_>,
        plan: &Self::Plan,
        px: Pixels<'_, T>,
        out: &mut [T],
    ) -> Result<()>;
}

/// Each image with its plan, naming the image whose size the family refuses.
///
/// # Errors
/// As [`Family::plan`], prefixed with `image {i}`.
pub fn plan_images<'a, F: Family>(
    family: &F,
    images: &[ImageRef<'a>],
) -> Result<Vec<(ImageRef<'a>, F::Plan)>> {
    images
        .iter()
        .enumerate()
        .map(|(i, im)| {
            let p = family
                .plan(im.height as u64, im.width as u64)
                .map_err(|e| e.context(&format!("image {i}")))?;
            Ok((*im, p))
        })
        .collect()
}

/// Values one image's slot takes in a batch: its own [`Plan::pixel_len`], or the largest
/// one for a [`Family::PADDED_BATCH`] family.
///
/// # Errors
/// A pixel count that overflows.
pub fn slot_len<F: Family>(plans: &[&F::Plan]) -> Result<Vec<usize>> {
    let lens: Option<Vec<usize>> = plans.iter().map(|p| p.pixel_len()).collect();
    let Some(lens) = lens else {
        return invalid_arg!("the batch's output size overflows; use fewer or smaller images");
    };
    if F::PADDED_BATCH {
        let max = lens.iter().copied().max().unwrap_or(0);
        return Ok(vec![max; lens.len()]);
    }
    Ok(lens)
}

/// Writes every image's values into `out`, in input order (images run on the opt-in
/// thread pool, see [`par`]); slots of a padded batch are filled up with zeros.
///
/// # Errors
/// Invalid images (naming the image) or an `out` of the wrong length.
pub fn images_into<F: Family, T: Copy + Send + Sync + Default>(
    family: &F,
    jobs: &[(ImageRef<'_>, F::Plan)],
    px: Pixels<'_, T>,
    out: &mut [T],
) -> Result<()> {
    let plans: Vec<&F::Plan> = jobs.iter().map(|j| &j.1).collect();
    let slots = slot_len::<F>(&plans)?;
    let sized = jobs.iter().zip(slots).map(|(j, n)| (j, Some(n))).collect();
    let work = pipeline::split(out, sized)?;
    par::try_for_each(work, |i, ((img, plan), dst)| {
        let used = plan.pixel_len().unwrap_or(0);
        let (mine, padding) = dst.split_at_mut(used);
        padding.fill(T::default());
        family
            .image_into(img, plan, px, mine)
            .map_err(|e| e.context(&format!("image {i}")))
    })
}
