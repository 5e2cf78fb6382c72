//! Agents: the fleet (`/agents`: each agent with its runs of the last 24 hours, success rate,
//! median duration and cost; create, edit, delete, and start a run), one run (`/agents/runs/{id}`:
//! its steps appearing as they land, over the run's event stream or by polling where the
//! runtime cannot hold a stream open; cancel), and the runs list (`/agents/runs`, filtered by
//! agent and status). One file per part.

mod form;
mod list;
mod run;
mod runs;

use shared::api::agents::{Run, RunStep};

pub use list::AgentsPage;
pub use run::RunPage;
pub use runs::RunsPage;

/// The badge class of a run's status, in the other pages' colours.
pub fn badge(status: &str) -> String {
    let look = match status {
        "queued" => "pending",
        "running" => "running",
        "completed" => "completed",
        "failed" => "failed",
        _ => "cancelled",
    };
    format!("badge badge-{look}")
}

/// How long a run took from its start to its end (or `-`).
pub fn duration(run: &Run) -> String {
    match (run.started_at, run.finished_at) {
        (Some(start), Some(end)) => {
            crate::format::millis((end - start).num_milliseconds().max(0) as f64)
        }
        _ => "-".into(),
    }
}

/// The first `max` characters of `text` on one line, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let cut: String = line.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

/// `incoming` over what the page has: a run event without steps (a status change) keeps the
/// steps already shown, and steps are kept once each, in order.
pub fn merge_run(current: Option<Run>, mut incoming: Run) -> Run {
    if let Some(current) = current.filter(|c| c.id == incoming.id) {
        let mut steps = current.steps;
        for step in std::mem::take(&mut incoming.steps) {
            put_step(&mut steps, step);
        }
        incoming.steps = steps;
    }
    incoming
}

/// Adds `step` to `steps` (replacing a step with its number), keeping them in order.
pub fn put_step(steps: &mut Vec<RunStep>, step: RunStep) {
    match steps.binary_search_by_key(&step.n, |s| s.n) {
        Ok(i) => steps[i] = step,
        Err(i) => steps.insert(i, step),
    }
}

/// The last step number the page has (`0` before any), for `?after=` when following again.
pub fn last_step(run: &Run) -> i32 {
    run.steps.iter().map(|s| s.n).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use shared::api::ai::TokenUsage;
    use uuid::Uuid;

    use super::*;

    fn step(n: i32, kind: &str) -> RunStep {
        RunStep {
            n,
            kind: kind.into(),
            tool: None,
            tool_call_id: None,
            arguments: None,
            result: None,
            usage: None,
            cost_usd: None,
            latency_ms: 10,
            created_at: Utc.timestamp_opt(0, 0).single().unwrap_or_default(),
        }
    }

    fn run(status: &str, steps: Vec<RunStep>) -> Run {
        Run {
            id: Uuid::nil(),
            agent_id: Uuid::nil(),
            status: status.into(),
            input: "hi".into(),
            output: None,
            steps,
            usage: TokenUsage::default(),
            cost_usd: 0.0,
            error: None,
            job_id: None,
            created_at: Utc.timestamp_opt(0, 0).single().unwrap_or_default(),
            started_at: None,
            finished_at: None,
        }
    }

    fn numbers(run: &Run) -> Vec<i32> {
        run.steps.iter().map(|s| s.n).collect()
    }

    #[test]
    fn a_status_change_without_steps_keeps_the_steps_shown() {
        let shown = run("running", vec![step(1, "llm"), step(2, "tool")]);
        let merged = merge_run(Some(shown), run("completed", Vec::new()));
        assert_eq!(merged.status, "completed");
        assert_eq!(numbers(&merged), vec![1, 2]);
        assert_eq!(last_step(&merged), 2);
    }

    #[test]
    fn steps_are_kept_once_each_in_order() {
        let shown = run("running", vec![step(1, "llm"), step(3, "llm")]);
        let merged = merge_run(
            Some(shown),
            run("running", vec![step(3, "llm"), step(2, "tool")]),
        );
        assert_eq!(numbers(&merged), vec![1, 2, 3]);
        let mut steps = merged.steps;
        put_step(&mut steps, step(2, "tool"));
        put_step(&mut steps, step(4, "llm"));
        assert_eq!(
            steps.iter().map(|s| s.n).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert_eq!(last_step(&run("queued", Vec::new())), 0);
    }

    #[test]
    fn excerpts_are_one_line_and_cut_by_characters() {
        assert_eq!(excerpt("a\n b  c", 10), "a b c");
        assert_eq!(excerpt("ééééé", 3), "ééé…");
    }

    #[test]
    fn statuses_read_as_on_the_other_pages() {
        assert_eq!(badge("queued"), "badge badge-pending");
        assert_eq!(badge("completed"), "badge badge-completed");
    }
}
