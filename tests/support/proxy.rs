//! A TCP forwarder that a test can cut, pause and restore, to play a
//! dependency outage (and its recovery) without stopping the real server
//! other tests use. `cut` is a crash (connections reset, new ones refused);
//! `pause` is a SIGSTOPped server (connections stay open, nothing answers).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

/// A byte pattern that pauses the proxy when a client sends it.
#[derive(Default)]
struct Trap {
    pattern: Mutex<Option<Vec<u8>>>,
    sprung: Notify,
}

pub struct TcpProxy {
    address: SocketAddr,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
    paused: Arc<watch::Sender<bool>>,
    trap: Arc<Trap>,
}

impl TcpProxy {
    /// Listens on a random local port and forwards to `target`.
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let address = listener.local_addr().expect("proxy address");
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let paused = Arc::new(watch::channel(false).0);
        let trap = Arc::new(Trap::default());
        let accepting_up = Arc::clone(&up);
        let cut_signal = cut.clone();
        let pause_signal = Arc::clone(&paused);
        let trap_in = Arc::clone(&trap);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !accepting_up.load(Ordering::SeqCst) {
                    continue; // dropped at once: the client sees a reset
                }
                let target = target.clone();
                let mut cut_rx = cut_signal.subscribe();
                let pause_in = Arc::clone(&pause_signal);
                let pause_out = Arc::clone(&pause_signal);
                let trap = Arc::clone(&trap_in);
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (client_read, client_write) = inbound.into_split();
                    let (server_read, server_write) = outbound.into_split();
                    tokio::select! {
                        () = pump(client_read, server_write, pause_in, Some(trap)) => {}
                        () = pump(server_read, client_write, pause_out, None) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Self {
            address,
            up,
            cut,
            paused,
            trap,
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A proxy in front of the tests' Redis, and the `REDIS_URL` that
    /// reaches Redis through it.
    pub async fn to_redis() -> (Self, String) {
        let env = crate::environment().await;
        let proxy = Self::start(env.redis_url.trim_start_matches("redis://").to_owned()).await;
        let url = format!("redis://{}", proxy.address);
        (proxy, url)
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|generation| *generation += 1);
    }

    /// Holds every byte in both directions (connections stay open), as a
    /// SIGSTOPped server does.
    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    /// Pauses the proxy the moment a client sends bytes containing
    /// `pattern` (that chunk is held too): "stop right before this command".
    pub fn pause_when_sent(&self, pattern: &[u8]) {
        *self.trap.pattern.lock().expect("trap") = Some(pattern.to_vec());
    }

    /// Waits until the armed pattern was sent and the proxy paused.
    pub async fn sprung(&self) {
        self.trap.sprung.notified().await;
    }

    /// Ends a cut (new connections accepted) or a pause (held bytes flow).
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
        self.paused.send_replace(false);
    }
}

/// Copies `from` to `to`, holding what it read while paused; springs `trap`
/// (pausing first) when a chunk contains its pattern.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    paused: Arc<watch::Sender<bool>>,
    trap: Option<Arc<Trap>>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    let mut paused_rx = paused.subscribe();
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if let Some(trap) = &trap {
            let mut pattern = trap.pattern.lock().expect("trap");
            let hit = pattern
                .as_ref()
                .is_some_and(|p| buffer[..read].windows(p.len()).any(|w| w == p.as_slice()));
            if hit {
                *pattern = None;
                paused.send_replace(true);
                trap.sprung.notify_one();
            }
        }
        while *paused_rx.borrow_and_update() {
            if paused_rx.changed().await.is_err() {
                return;
            }
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
