//! The webhook receiver of scenario 4: counts deliveries by (delivery id,
//! event) and checks every signature.

use crate::sync::locked;
use actix_web::{dev::ServerHandle, web, App, HttpRequest, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Received {
    pub secret: Vec<u8>,
    /// (X-OpsFlow-Delivery, X-OpsFlow-Event) → times received.
    pub deliveries: HashMap<(String, String), u64>,
    pub bad_signatures: u64,
}

pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Received>>,
    handle: ServerHandle,
}

impl Receiver {
    pub fn start() -> anyhow::Result<Self> {
        let received = Arc::new(Mutex::new(Received::default()));
        let data = web::Data::from(received.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hook", web::post().to(receive))
        })
        .workers(1)
        .bind("127.0.0.1:0")?;
        let address = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            url: format!("http://{address}/hook"),
            received,
            handle,
        })
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    received: web::Data<Mutex<Received>>,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut received = locked(&received);
    let signed = Hmac::<Sha256>::new_from_slice(&received.secret).map(|mut mac| {
        mac.update(&body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    });
    // Constant time does not matter to a test receiver; equality does.
    if signed.ok().as_deref() != Some(header("x-opsflow-signature").as_str()) {
        received.bad_signatures += 1;
    }
    *received
        .deliveries
        .entry((header("x-opsflow-delivery"), header("x-opsflow-event")))
        .or_default() += 1;
    HttpResponse::Ok().finish()
}
