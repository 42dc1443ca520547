//! `detour serve`: a static site with its `_redirects` and `netlify.toml`, like a local preview.
//! It lives in the CLI, not in `detour-http`, so embedding the layer pulls in neither the parsers
//! nor the compiler: only `serve` compiles rules (at start and on every reload).

use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use tower::Layer;

use detour_http::{
    accept_loop, check_jwt_secret, ConnectionLimits, DetourLayer, FilePolicy, Options, SiteFiles, StaticFiles,
    RECOMMENDED_JWT_SECRET_BYTES,
};
use detour_runtime::MatchOptions;

mod reload;
mod sites;

pub use reload::Site;
use reload::{watch, WatchOptions};
pub use sites::{serve_sites, SitesOptions};

/// Settings of [`serve`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Serve the files only, without the rules (a baseline for load tests).
    pub no_rules: bool,
    /// How often to look for changed rule files.
    pub reload_interval: Duration,
    /// How long a changed rule file must keep its size and modification time before it is read.
    pub reload_debounce: Duration,
    /// Role-check settings.
    pub match_options: MatchOptions,
    /// Layer settings (`not_found_path` is set to `/404.html` when the site has one).
    pub layer: Options,
    /// Connection cap and timeouts.
    pub connections: ConnectionLimits,
    /// Which paths are served as files (dot-files and rule files are hidden by default).
    pub files: FilePolicy,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            no_rules: false,
            reload_interval: Duration::from_millis(300),
            reload_debounce: Duration::from_millis(200),
            match_options: MatchOptions::default(),
            layer: Options::default(),
            connections: ConnectionLimits::default(),
            files: FilePolicy::default(),
        }
    }
}

/// Serves the static site in `dir` on `listener`, with its rules in front, until the returned
/// future is dropped. Fails at once when the rules cannot be loaded or the JWT secret is unsafe.
pub async fn serve(dir: PathBuf, listener: TcpListener, mut options: ServeOptions) -> std::io::Result<()> {
    if let Some(secret) = &options.match_options.jwt_secret {
        check_jwt_secret(secret).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        if secret.len() < RECOMMENDED_JWT_SECRET_BYTES {
            tracing::warn!(
                bytes = secret.len(),
                "the JWT secret is shorter than the {RECOMMENDED_JWT_SECRET_BYTES} bytes RFC 7518 asks for HS256"
            );
        }
    }
    let files = SiteFiles::with_policy(&dir, options.files);
    if options.no_rules {
        accept_loop(listener, files, options.connections).await;
        return Ok(());
    }
    let (matcher, rules, diagnostics) = {
        let (dir, match_options) = (dir.clone(), options.match_options.clone());
        tokio::task::spawn_blocking(move || Site::load(&dir, &match_options, false)).await?
    }
    .map_err(|errors| {
        for e in &errors {
            tracing::error!("{e}");
        }
        std::io::Error::other("the site's rules could not be loaded")
    })?;
    for d in &diagnostics {
        tracing::warn!("{d}");
    }
    tracing::info!(rules, dir = %dir.display(), "serving");
    if options.layer.not_found_path.is_none() && dir.join("404.html").is_file() {
        options.layer.not_found_path = Some("/404.html".to_string());
    }
    let assets = StaticFiles::with_policy(&dir, options.files);
    let layer = DetourLayer::with_assets(matcher, options.layer.clone(), assets);
    let watch_options = WatchOptions {
        interval: options.reload_interval,
        debounce: options.reload_debounce,
        match_options: options.match_options.clone(),
    };
    let watcher = tokio::spawn(watch(dir, layer.reload_handle(), watch_options));
    // The watcher ends with the server (when this future is dropped).
    let _stop_watching = AbortOnDrop(watcher);
    accept_loop(listener, layer.layer(files), options.connections).await;
    Ok(())
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
