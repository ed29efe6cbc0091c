//! Cloud facts (provider, region, zone, instance, type, account) from the
//! instance metadata services of AWS, GCP, Azure and DigitalOcean.
//!
//! The provider is recognised first from the DMI files the firmware
//! exposes (`/sys/class/dmi/id/*`), so a host that is on no cloud makes no
//! network request at all; only the matching provider's metadata service is
//! asked, with a short timeout.

use std::time::Duration;

use serde_json::Value;
use vedette_model::wire::Cloud;

use super::read_small;
use crate::root::HostRoot;

/// Time allowed for each metadata request.
pub const METADATA_TIMEOUT: Duration = Duration::from_millis(300);
/// The link-local address every provider serves metadata on.
const IMDS: &str = "http://169.254.169.254";
/// Azure's fixed chassis asset tag.
const AZURE_ASSET_TAG: &str = "7783-7084-3265-9085-8269-3286-77";

/// A cloud provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Amazon Web Services.
    Aws,
    /// Google Cloud.
    Gcp,
    /// Microsoft Azure.
    Azure,
    /// DigitalOcean.
    DigitalOcean,
}

impl Provider {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
            Provider::DigitalOcean => "digitalocean",
        }
    }
}

/// The provider the DMI files under `root` point to, if any.
pub fn provider_from_dmi(root: &HostRoot) -> Option<Provider> {
    let read = |name: &str| {
        read_small(&root.join(&format!("/sys/class/dmi/id/{name}"))).unwrap_or_default()
    };
    let sys_vendor = read("sys_vendor");
    let product = read("product_name");
    let bios_vendor = read("bios_vendor");
    let product_version = read("product_version");
    if sys_vendor.contains("Amazon")
        || bios_vendor.contains("Amazon")
        || product_version.to_ascii_lowercase().contains("amazon")
    {
        Some(Provider::Aws)
    } else if sys_vendor.contains("Google") || product.contains("Google Compute Engine") {
        Some(Provider::Gcp)
    } else if sys_vendor.contains("Microsoft Corporation")
        && read("chassis_asset_tag") == AZURE_ASSET_TAG
    {
        Some(Provider::Azure)
    } else if sys_vendor.contains("DigitalOcean") {
        Some(Provider::DigitalOcean)
    } else {
        None
    }
}

/// Looks up cloud facts, or `None` when not on a known cloud.
pub async fn detect(root: &HostRoot) -> Option<Cloud> {
    let provider = provider_from_dmi(root)?;
    let client = reqwest::Client::builder()
        .timeout(METADATA_TIMEOUT)
        .connect_timeout(METADATA_TIMEOUT)
        .no_proxy()
        .build()
        .ok()?;
    let facts = match provider {
        Provider::Aws => aws(&client).await,
        Provider::Gcp => gcp(&client).await,
        Provider::Azure => azure(&client).await,
        Provider::DigitalOcean => digitalocean(&client).await,
    };
    Some(facts.unwrap_or_else(|| {
        tracing::info!(
            provider = provider.name(),
            "cloud metadata service did not answer"
        );
        Cloud {
            provider: provider.name().into(),
            ..Cloud::default()
        }
    }))
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The last `/`-separated part (GCP returns `projects/1/zones/us-east1-b`).
fn last_part(value: Option<String>) -> Option<String> {
    value.map(|v| v.rsplit('/').next().unwrap_or(&v).to_string())
}

/// AWS: IMDSv2 token, then the instance identity document.
async fn aws(client: &reqwest::Client) -> Option<Cloud> {
    let token = client
        .put(format!("{IMDS}/latest/api/token"))
        .header("X-aws-ec2-metadata-token-ttl-seconds", "60")
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let document: Value = client
        .get(format!("{IMDS}/latest/dynamic/instance-identity/document"))
        .header("X-aws-ec2-metadata-token", token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some(aws_from_document(&document))
}

/// Cloud facts from an AWS instance identity document.
pub fn aws_from_document(document: &Value) -> Cloud {
    Cloud {
        provider: "aws".into(),
        region: text(document, "/region"),
        zone: text(document, "/availabilityZone"),
        instance_id: text(document, "/instanceId"),
        instance_type: text(document, "/instanceType"),
        account: text(document, "/accountId"),
    }
}

async fn gcp(client: &reqwest::Client) -> Option<Cloud> {
    let get = |path: &'static str| {
        client
            .get(format!(
                "http://metadata.google.internal/computeMetadata/v1/{path}"
            ))
            .header("Metadata-Flavor", "Google")
            .send()
    };
    let instance: Value = get("instance/?recursive=true")
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let project = get("project/project-id").await.ok()?.text().await.ok();
    Some(gcp_from_instance(&instance, project))
}

/// Cloud facts from GCP's recursive instance metadata.
pub fn gcp_from_instance(instance: &Value, project: Option<String>) -> Cloud {
    let zone = last_part(text(instance, "/zone"));
    // Zone `us-east1-b` is in region `us-east1`.
    let region = zone
        .as_deref()
        .and_then(|z| z.rsplit_once('-'))
        .map(|(region, _)| region.to_string());
    Cloud {
        provider: "gcp".into(),
        region,
        zone,
        instance_id: text(instance, "/id"),
        instance_type: last_part(text(instance, "/machineType")),
        account: project,
    }
}

async fn azure(client: &reqwest::Client) -> Option<Cloud> {
    let document: Value = client
        .get(format!("{IMDS}/metadata/instance?api-version=2021-02-01"))
        .header("Metadata", "true")
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some(Cloud {
        provider: "azure".into(),
        region: text(&document, "/compute/location"),
        zone: text(&document, "/compute/zone"),
        instance_id: text(&document, "/compute/vmId"),
        instance_type: text(&document, "/compute/vmSize"),
        account: text(&document, "/compute/subscriptionId"),
    })
}

async fn digitalocean(client: &reqwest::Client) -> Option<Cloud> {
    let document: Value = client
        .get(format!("{IMDS}/metadata/v1.json"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some(Cloud {
        provider: "digitalocean".into(),
        region: text(&document, "/region"),
        zone: None,
        instance_id: text(&document, "/droplet_id"),
        instance_type: None,
        account: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_providers_from_dmi_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = HostRoot::new(dir.path());
        let dmi = dir.path().join("sys/class/dmi/id");
        std::fs::create_dir_all(&dmi).unwrap();
        assert_eq!(provider_from_dmi(&root), None);
        std::fs::write(dmi.join("sys_vendor"), "Amazon EC2\n").unwrap();
        assert_eq!(provider_from_dmi(&root), Some(Provider::Aws));
        std::fs::write(dmi.join("sys_vendor"), "Google\n").unwrap();
        assert_eq!(provider_from_dmi(&root), Some(Provider::Gcp));
        std::fs::write(dmi.join("sys_vendor"), "Microsoft Corporation\n").unwrap();
        // Hyper-V on premises is not Azure.
        assert_eq!(provider_from_dmi(&root), None);
        std::fs::write(dmi.join("chassis_asset_tag"), AZURE_ASSET_TAG).unwrap();
        assert_eq!(provider_from_dmi(&root), Some(Provider::Azure));
        std::fs::write(dmi.join("sys_vendor"), "DigitalOcean\n").unwrap();
        assert_eq!(provider_from_dmi(&root), Some(Provider::DigitalOcean));
    }

    #[tokio::test]
    async fn no_cloud_here_costs_nothing() {
        // This machine's firmware names no cloud: detection returns at once.
        let started = std::time::Instant::now();
        assert_eq!(detect(&HostRoot::default()).await, None);
        assert!(started.elapsed() < METADATA_TIMEOUT);
    }

    #[test]
    fn reads_provider_documents() {
        // Shapes from the providers' documentation.
        let aws: Value = serde_json::json!({"accountId": "123456789012", "availabilityZone": "us-east-1a",
            "instanceId": "i-0abc", "instanceType": "t3.micro", "region": "us-east-1"});
        let cloud = aws_from_document(&aws);
        assert_eq!(cloud.region.as_deref(), Some("us-east-1"));
        assert_eq!(cloud.account.as_deref(), Some("123456789012"));
        let gcp: Value = serde_json::json!({"id": 4520031799277581759u64,
            "machineType": "projects/123/machineTypes/e2-small", "zone": "projects/123/zones/us-east1-b"});
        let cloud = gcp_from_instance(&gcp, Some("my-project".into()));
        assert_eq!(cloud.zone.as_deref(), Some("us-east1-b"));
        assert_eq!(cloud.region.as_deref(), Some("us-east1"));
        assert_eq!(cloud.instance_type.as_deref(), Some("e2-small"));
        assert_eq!(cloud.instance_id.as_deref(), Some("4520031799277581759"));
    }
}
