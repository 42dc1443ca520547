//! Shared test support: the conformance case format and the engines under test.
#![allow(dead_code)]

pub mod cases;
pub mod data_cases;
pub mod engines;
pub mod jwt;
pub mod run;
