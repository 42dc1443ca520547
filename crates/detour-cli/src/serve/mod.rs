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

mod layout;
mod reload;
mod sites;
mod visitor;

pub use layout::{LayoutError, SiteLayout};
use reload::{fingerprint, watch, WatchOptions};
pub use reload::{print_diagnostics, LoadedRules, RulesRefused, Site};
pub use sites::{serve_sites, SitesOptions};
pub use visitor::Visitor;

/// Settings of [`serve`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Serve the files only, without the rules (a baseline for load tests).
    pub no_rules: bool,
    /// How often to look for changed rule files when no file-system event said so (the only
    /// way where events cannot be watched).
    pub reload_interval: Duration,
    /// How long a changed rule file must keep its size and modification time before it is read.
    pub reload_debounce: Duration,
    /// Wake the reload on file-system events (`notify`); off, it polls only.
    pub reload_on_events: bool,
    /// Role-check settings.
    pub match_options: MatchOptions,
    /// Layer settings (`not_found_path` is set to `/404.html` when the site has one).
    pub layer: Options,
    /// Connection cap and timeouts.
    pub connections: ConnectionLimits,
    /// Which paths are served as files (dot-files and rule files are hidden by default; pretty
    /// URLs are on, as on Netlify).
    pub files: FilePolicy,
    /// The visitor every request is made to come from (`--country`, `--language`).
    pub visitor: Visitor,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            no_rules: false,
            reload_interval: Duration::from_millis(300),
            reload_debounce: Duration::from_millis(200),
            reload_on_events: true,
            match_options: MatchOptions::default(),
            layer: Options::default(),
            connections: ConnectionLimits::default(),
            files: FilePolicy { pretty_urls: true, ..FilePolicy::default() },
            visitor: Visitor::default(),
        }
    }
}

fn invalid_input(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
}

fn check_secret(options: &MatchOptions) -> std::io::Result<()> {
    if let Some(secret) = &options.jwt_secret {
        check_jwt_secret(secret).map_err(invalid_input)?;
        if secret.len() < RECOMMENDED_JWT_SECRET_BYTES {
            tracing::warn!(
                bytes = secret.len(),
                "the JWT secret is shorter than the {RECOMMENDED_JWT_SECRET_BYTES} bytes RFC 7518 asks for HS256"
            );
        }
    }
    Ok(())
}

/// Loads the rules (off the runtime), prints their diagnostics as `detour check` does and one
/// line summing them up.
async fn load_rules(layout: &SiteLayout, options: &MatchOptions) -> std::io::Result<LoadedRules> {
    let (for_load, match_options) = (layout.clone(), options.clone());
    let loaded = tokio::task::spawn_blocking(move || Site::load(&for_load, &match_options, false)).await?;
    let loaded = loaded.map_err(|refused| {
        print_diagnostics(&refused.diagnostics);
        std::io::Error::other(format!("the site's rules could not be loaded: {}", refused.reason))
    })?;
    print_diagnostics(&loaded.diagnostics);
    eprintln!("detour serve: {} from {}", loaded.summary, layout.base.display());
    Ok(loaded)
}

/// Serves the static site in `dir` (or the directory its `netlify.toml` publishes) on
/// `listener`, with its rules in front, until the returned future is dropped. Fails at once when
/// the rules cannot be loaded, the publish directory is missing or the JWT secret is unsafe.
pub async fn serve(dir: PathBuf, listener: TcpListener, mut options: ServeOptions) -> std::io::Result<()> {
    check_secret(&options.match_options)?;
    let layout = SiteLayout::of(&dir).map_err(invalid_input)?;
    let files = SiteFiles::with_policy(&layout.publish, options.files);
    if options.no_rules {
        accept_loop(listener, files, options.connections).await;
        return Ok(());
    }
    let read_from = fingerprint(&layout);
    let loaded = load_rules(&layout, &options.match_options).await?;
    if options.layer.not_found_path.is_none() && layout.publish.join("404.html").is_file() {
        options.layer.not_found_path = Some("/404.html".to_string());
    }
    let assets = StaticFiles::with_policy(&layout.publish, options.files);
    let layer = DetourLayer::with_assets(loaded.matcher, options.layer.clone(), assets);
    let watch_options = WatchOptions {
        interval: options.reload_interval,
        debounce: options.reload_debounce,
        events: options.reload_on_events,
        match_options: options.match_options.clone(),
    };
    let watcher = tokio::spawn(watch(layout, layer.reload_handle(), read_from, watch_options));
    // The watcher ends with the server (when this future is dropped).
    let _stop_watching = AbortOnDrop(watcher);
    let visitor = options.visitor.layer(&options.layer.country_header);
    accept_loop(listener, visitor.layer(layer.layer(files)), options.connections).await;
    Ok(())
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
