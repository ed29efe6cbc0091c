//! `vedette sbom TARGET`: only the SBOM (CycloneDX 1.6 or SPDX 2.3 JSON) of
//! a directory tree, an image archive or OCI layout, or a Docker Engine
//! image.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::scan::target::Target;

/// Options of `vedette sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// What to catalog: a directory (`fs:` prefix to force), a `docker save` archive or OCI
    /// layout (`image:` prefix to force), or a Docker Engine image name (`docker:` to force).
    target: String,
    /// Document format.
    #[arg(long, short = 'f', value_enum, default_value_t = SbomFormat::Cyclonedx)]
    format: SbomFormat,
    /// Write the document to this file instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Docker Engine unix socket, for image names.
    #[arg(
        long,
        env = "VEDETTE_DOCKER_SOCKET",
        default_value = "/var/run/docker.sock"
    )]
    docker_socket: PathBuf,
}

/// SBOM formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Runs `vedette sbom`.
pub async fn run(args: SbomArgs) -> anyhow::Result<()> {
    let target = Target::any(&args.target)?;
    let sbom = super::scan::catalog(&target, &args.docker_socket).await?;
    let format = match args.format {
        SbomFormat::Cyclonedx => vedette_sbom::format::Format::CycloneDx,
        SbomFormat::Spdx => vedette_sbom::format::Format::Spdx,
    };
    let mut text = vedette_sbom::format::to_json(&sbom, format);
    text.push('\n');
    for d in sbom.diagnostics.iter().take(20) {
        tracing::warn!(path = %d.path, cataloger = %d.cataloger, "{}", d.message);
    }
    super::scan::write_output(args.output.as_deref(), &text)
}
