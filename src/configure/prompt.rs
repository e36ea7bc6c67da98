//! Questions on a terminal. `Prompter` is what `configure` needs; inquire provides it.

use inquire::error::InquireError;
use inquire::ui::RenderConfig;
use inquire::validator::Validation;
use inquire::{Confirm, CustomType, MultiSelect, Select, Text};

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cancelled at the prompt; nothing was written")]
    Cancelled,
    #[error("the terminal went away while asking: {0}")]
    Terminal(String),
}

pub trait Prompter {
    fn select(
        &mut self,
        question: &str,
        options: &[String],
        default: usize,
    ) -> Result<usize, PromptError>;
    fn multi_select(
        &mut self,
        question: &str,
        options: &[String],
        defaults: &[usize],
        help: &str,
    ) -> Result<Vec<usize>, PromptError>;
    fn text(&mut self, question: &str, default: &str, help: &str) -> Result<String, PromptError>;
    fn number(
        &mut self,
        question: &str,
        default: u32,
        min: u32,
        max: u32,
    ) -> Result<u32, PromptError>;
    fn confirm(&mut self, question: &str, default: bool, help: &str) -> Result<bool, PromptError>;
}

/// Prompts drawn by inquire on the controlling terminal.
pub struct InquirePrompter {
    render: RenderConfig<'static>,
}

impl InquirePrompter {
    pub fn new(color: bool) -> Self {
        let render = if color {
            RenderConfig::default_colored()
        } else {
            RenderConfig::empty()
        };
        InquirePrompter { render }
    }
}

fn convert(err: InquireError) -> PromptError {
    match err {
        InquireError::OperationCanceled | InquireError::OperationInterrupted => {
            PromptError::Cancelled
        }
        other => PromptError::Terminal(other.to_string()),
    }
}

impl Prompter for InquirePrompter {
    fn select(
        &mut self,
        question: &str,
        options: &[String],
        default: usize,
    ) -> Result<usize, PromptError> {
        Select::new(question, options.to_vec())
            .with_starting_cursor(default)
            .with_render_config(self.render)
            .with_help_message("↑↓ to move, enter to select")
            .raw_prompt()
            .map(|choice| choice.index)
            .map_err(convert)
    }

    fn multi_select(
        &mut self,
        question: &str,
        options: &[String],
        defaults: &[usize],
        help: &str,
    ) -> Result<Vec<usize>, PromptError> {
        MultiSelect::new(question, options.to_vec())
            .with_default(defaults)
            .with_render_config(self.render)
            .with_help_message(help)
            .with_validator(|chosen: &[inquire::list_option::ListOption<&String>]| {
                Ok(if chosen.is_empty() {
                    Validation::Invalid("choose at least one method".into())
                } else {
                    Validation::Valid
                })
            })
            .raw_prompt()
            .map(|chosen| chosen.into_iter().map(|c| c.index).collect())
            .map_err(convert)
    }

    fn text(&mut self, question: &str, default: &str, help: &str) -> Result<String, PromptError> {
        Text::new(question)
            .with_default(default)
            .with_render_config(self.render)
            .with_help_message(help)
            .prompt()
            .map_err(convert)
    }

    fn number(
        &mut self,
        question: &str,
        default: u32,
        min: u32,
        max: u32,
    ) -> Result<u32, PromptError> {
        let range = format!("a whole number from {min} to {max}");
        CustomType::<u32>::new(question)
            .with_default(default)
            .with_render_config(self.render)
            .with_error_message(&range)
            .with_help_message(&range)
            .with_validator(move |n: &u32| {
                Ok(if (min..=max).contains(n) {
                    Validation::Valid
                } else {
                    Validation::Invalid(format!("must be from {min} to {max}").into())
                })
            })
            .prompt()
            .map_err(convert)
    }

    fn confirm(&mut self, question: &str, default: bool, help: &str) -> Result<bool, PromptError> {
        Confirm::new(question)
            .with_default(default)
            .with_render_config(self.render)
            .with_help_message(help)
            .prompt()
            .map_err(convert)
    }
}
