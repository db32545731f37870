//! A TCP forwarder that a test can cut, pause and restore, to play a
//! dependency outage (and its recovery) without stopping the real server
//! other tests use. `cut` is a crash (connections reset, new ones refused);
//! `pause` is a SIGSTOPped server (connections stay open, nothing answers).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct TcpProxy {
    address: SocketAddr,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
    paused: watch::Sender<bool>,
}

impl TcpProxy {
    /// Listens on a random local port and forwards to `target`.
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let address = listener.local_addr().expect("proxy address");
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (paused, _) = watch::channel(false);
        let accepting_up = Arc::clone(&up);
        let cut_signal = cut.clone();
        let pause_signal = paused.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !accepting_up.load(Ordering::SeqCst) {
                    continue; // dropped at once: the client sees a reset
                }
                let target = target.clone();
                let mut cut_rx = cut_signal.subscribe();
                let pause_in = pause_signal.subscribe();
                let pause_out = pause_signal.subscribe();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (client_read, client_write) = inbound.into_split();
                    let (server_read, server_write) = outbound.into_split();
                    tokio::select! {
                        () = pump(client_read, server_write, pause_in) => {}
                        () = pump(server_read, client_write, pause_out) => {}
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
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
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

    /// Ends a cut (new connections accepted) or a pause (held bytes flow).
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
        self.paused.send_replace(false);
    }
}

/// Copies `from` to `to`, holding what it read while paused.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut paused: watch::Receiver<bool>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        while *paused.borrow_and_update() {
            if paused.changed().await.is_err() {
                return;
            }
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
