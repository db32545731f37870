//! `follow-events URL[,URL…] PROJECT_ID` (token in `OPSFLOW_TOKEN`): prints
//! each event of the project as it commits, resuming after disconnects.

use follow_events::{Flow, Follower};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(bases), Some(project)) = (args.next(), args.next()) else {
        eprintln!("usage: follow-events URL[,URL...] PROJECT_ID  (token in OPSFLOW_TOKEN)");
        std::process::exit(2);
    };
    let token = std::env::var("OPSFLOW_TOKEN").unwrap_or_default();
    let bases = bases.split(',').map(str::to_owned).collect();
    let mut follower = Follower::new(bases, project, token);
    follower
        .follow(|frame| {
            println!(
                "{} {} {}",
                frame.id.as_deref().unwrap_or("-"),
                frame.event.as_deref().unwrap_or("-"),
                frame.data.as_deref().unwrap_or("")
            );
            Flow::Continue
        })
        .await;
}
