//! SARIF 2.1.0 for code-scanning uploads (serde-sarif types): one rule per check with its
//! document as help, one result per finding, fixes as `artifactChanges` with byte regions.

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, Message,
    MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, ReportingDescriptorReference, Result, ResultLevel,
    Run, Sarif, Tool, ToolComponent,
};

use crate::diagnostics::Diagnostic;
use crate::doctor::finding::{Applicability, Edit, Finding, Severity};
use crate::doctor::{Outcome, Report};

const SRCROOT: &str = "%SRCROOT%";

pub fn render(report: &Report, docs: &[Diagnostic]) -> String {
    let rules: Vec<ReportingDescriptor> = report
        .checks
        .iter()
        .map(|check| {
            let doc = docs.iter().find(|d| d.meta.id == check.id);
            ReportingDescriptor::builder()
                .id(check.id)
                .name(check.id)
                .short_description(text(&check.title))
                .full_description(text(doc.map(|d| d.summary.as_str()).unwrap_or_default()))
                .help(
                    MultiformatMessageString::builder()
                        .text(format!(
                            "Run `authgen explain {}` for the full explanation.",
                            check.id
                        ))
                        .markdown(doc.map(|d| d.body.clone()).unwrap_or_default())
                        .build(),
                )
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(level(check.severity))
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<Result> = report
        .checks
        .iter()
        .enumerate()
        .flat_map(|(index, check)| check.findings().iter().map(move |f| result(index, f)))
        .collect();
    let notifications: Vec<Notification> = report
        .checks
        .iter()
        .filter_map(|check| match &check.outcome {
            Outcome::Crashed { error } => Some(
                Notification::builder()
                    .level("error")
                    .message(message(format!("check {} crashed: {error}", check.id)))
                    .descriptor(ReportingDescriptorReference::builder().id(check.id).build())
                    .build(),
            ),
            _ => None,
        })
        .collect();
    let invocation = Invocation::builder()
        .execution_successful(notifications.is_empty())
        .tool_execution_notifications(notifications)
        .build();
    let driver = ToolComponent::builder()
        .name("authgen")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .column_kind("unicodeCodePoints")
        .invocations(vec![invocation])
        .results(results)
        .build();
    let log = Sarif::builder()
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .version("2.1.0")
        .runs(vec![run])
        .build();
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    out.push('\n');
    out
}

fn result(rule_index: usize, f: &Finding) -> Result {
    let region = Region::builder()
        .start_line(f.start.line as i64)
        .start_column(f.start.column as i64)
        .end_line(f.end.line as i64)
        .end_column(f.end.column as i64)
        .byte_offset(f.span[0] as i64)
        .byte_length((f.span[1] - f.span[0]) as i64)
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(&f.file))
                .region(region)
                .build(),
        )
        .build();
    let result = Result::builder()
        .rule_id(f.check)
        .rule_index(rule_index as i64)
        .level(match f.severity {
            Severity::Error => ResultLevel::Error,
            Severity::Warning => ResultLevel::Warning,
        })
        .message(message(format!("{} — {}", f.message, f.help)))
        .locations(vec![location]);
    // SARIF fixes need at least one artifact change; a fix that only explains stays in the message.
    match &f.fix {
        Some(fix) if !fix.edits.is_empty() => result.fixes(vec![sarif_fix(fix)]).build(),
        _ => result.build(),
    }
}

fn sarif_fix(fix: &crate::doctor::Fix) -> Fix {
    let mut files: Vec<&str> = fix.edits.iter().map(|e| e.file.as_str()).collect();
    files.dedup();
    let changes = files
        .into_iter()
        .map(|file| {
            let replacements = fix
                .edits
                .iter()
                .filter(|e| e.file == file)
                .map(replacement)
                .collect::<Vec<_>>();
            ArtifactChange::builder()
                .artifact_location(artifact(file))
                .replacements(replacements)
                .build()
        })
        .collect::<Vec<_>>();
    let applicability = match fix.applicability {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display-only",
    };
    let properties = PropertyBag::builder()
        .additional_properties(BTreeMap::from([(
            "applicability".to_owned(),
            serde_json::Value::from(applicability),
        )]))
        .build();
    Fix::builder()
        .description(message(fix.description.clone()))
        .artifact_changes(changes)
        .properties(properties)
        .build()
}

fn replacement(edit: &Edit) -> Replacement {
    let deleted = Region::builder()
        .byte_offset(edit.start as i64)
        .byte_length((edit.end - edit.start) as i64)
        .build();
    Replacement::builder()
        .deleted_region(deleted)
        .inserted_content(ArtifactContent::builder().text(edit.text()).build())
        .build()
}

fn artifact(uri: &str) -> ArtifactLocation {
    ArtifactLocation::builder()
        .uri(uri)
        .uri_base_id(SRCROOT)
        .build()
}

fn message(text: String) -> Message {
    Message::builder().text(text).build()
}

fn text(text: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(text).build()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
