//! How long the sequencer takes for what the player asks on every request, by course size:
//! a navigation request, and the table of contents with a choice check per activity (each a
//! dry run on a copy of the state). Run with
//! `cargo run --release -p lara-sequencing --example sequencing_bench`.

use std::time::Instant;

use lara_sequencing::{ActivitySpec, NavigationRequest, Sequencer, Tree};

/// A course of `modules` modules with `leaves` SCOs each, flow and choice on.
fn course(modules: usize, leaves: usize) -> Tree {
    let module = |m: usize| {
        let mut spec = ActivitySpec::new(
            format!("m{m}"),
            (0..leaves)
                .map(|l| ActivitySpec::new(format!("m{m}-s{l}"), vec![]))
                .collect(),
        );
        spec.sequencing.control_mode.flow = true;
        spec
    };
    let mut root = ActivitySpec::new("course", (0..modules).map(module).collect());
    root.sequencing.control_mode.flow = true;
    match Tree::new(root) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}

fn main() {
    println!("| activities | continue | table of contents |");
    println!("| --- | --- | --- |");
    for (modules, leaves) in [(3, 4), (10, 10), (20, 25), (40, 50)] {
        let tree = course(modules, leaves);
        let mut s = Sequencer::new(&tree, 1);
        if s.navigate(NavigationRequest::Start).is_err() {
            eprintln!("start failed");
            return;
        }
        // Continue through the course, timing each request.
        let steps = (modules * leaves - 1).min(200);
        let t0 = Instant::now();
        for _ in 0..steps {
            if s.navigate(NavigationRequest::Continue).is_err() {
                break;
            }
        }
        let per_continue = t0.elapsed() / steps.max(1) as u32;
        let rounds = 5;
        let t1 = Instant::now();
        let mut shown = 0;
        for _ in 0..rounds {
            shown += s.toc().iter().filter(|e| e.selectable).count();
        }
        let per_toc = t1.elapsed() / rounds;
        println!(
            "| {} | {:.1} µs | {:.2} ms ({} choosable) |",
            tree.len(),
            per_continue.as_secs_f64() * 1e6,
            per_toc.as_secs_f64() * 1e3,
            shown / rounds as usize
        );
    }
}
