//! One module per model family: its plan (sizes alone), pixels and prompt layout.

pub mod pixtral;
