//! `detour serve --sites OUT [--origin URL]`: an edge for every site in a directory of blobs
//! (`detour compile --sites`), routing by `Host`. A request no rule handles goes to the origin
//! when there is one (proxied, the client's `Host` kept), else answers 404. A host no site
//! claims is handled the same way (no rules); a site that never had valid rules answers 503.

use std::path::PathBuf;

use tokio::net::TcpListener;
use tower::Layer;

use detour_http::{accept_loop, ConnectionLimits, DetourLayer, Options, Origin};
use detour_runtime::{Blob, Matcher};
use detour_sites::{Registry, RegistryOptions};

/// Settings of [`serve_sites`].
#[derive(Debug, Clone, Default)]
pub struct SitesOptions {
    /// Where requests no rule handles go (`http://127.0.0.1:3000`); `None` answers 404.
    pub origin: Option<String>,
    /// The registry's budget, polling and match settings.
    pub registry: RegistryOptions,
    /// Layer settings.
    pub layer: Options,
    /// Connection cap and timeouts.
    pub connections: ConnectionLimits,
}

/// No rules at all: what hosts no site claims are matched against.
fn no_rules(registry: &RegistryOptions) -> std::io::Result<Matcher> {
    let bytes = detour_compiler::compile(&[]).map_err(std::io::Error::other)?;
    let blob = Blob::from_bytes(&bytes).map_err(std::io::Error::other)?;
    Ok(Matcher::new(blob, registry.match_options.clone()))
}

/// Serves every site of `dir` on `listener` until the returned future is dropped. Fails at
/// once when the directory cannot be read or the origin is no URL; bad blobs are reported and
/// confined to their sites.
pub async fn serve_sites(dir: PathBuf, listener: TcpListener, options: SitesOptions) -> std::io::Result<()> {
    let origin = match &options.origin {
        Some(url) => Origin::new(url, &options.layer)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?,
        None => Origin::none(),
    };
    let registry = {
        let (dir, registry_options) = (dir.clone(), options.registry.clone());
        tokio::task::spawn_blocking(move || Registry::open(dir, registry_options)).await?
    }
    .map_err(std::io::Error::other)?;
    for (site, problem) in registry.problems() {
        tracing::error!(%site, "{problem}");
    }
    tracing::info!(sites = registry.sites(), dir = %dir.display(), origin = ?options.origin, "serving sites");
    let unknown_hosts = no_rules(&options.registry)?;
    let layer = DetourLayer::over_sites(registry, unknown_hosts, options.layer);
    accept_loop(listener, layer.layer(origin), options.connections).await;
    Ok(())
}
