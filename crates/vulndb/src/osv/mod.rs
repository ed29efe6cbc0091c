//! OSV (Open Source Vulnerabilities) records: the data model, loading from
//! files, directories and zip dumps, ecosystem mapping, and the
//! affected-range evaluation of the OSV schema.

pub mod ecosystem;
pub mod eval;
pub mod load;
pub mod record;

pub use ecosystem::Ecosystem;
pub use eval::{CompiledAffected, CompiledRange, EvalError, ParsedVersion};
pub use load::{Limits, LoadError, Loaded, load_dir, load_file, load_zip, parse_record};
pub use record::{Affected, Event, PackageRef, Range, RangeType, Record, Severity};
