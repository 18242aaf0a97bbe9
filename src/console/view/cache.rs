//! The view's render cache: what is drawn often and costs to make, kept beside the model (in
//! `App`), never in it. Today: the calls' rendered details (diff, request, response), filled by
//! the executor's render (with the call, or again for an older call selected) and kept for the
//! calls the model lists in `Model::rendered` (the selected one and the most recent few).

use std::collections::HashMap;

use crate::console::detail::CallDetail;
use crate::console::message::Message;
use crate::console::model::Model;

#[derive(Debug, Default)]
pub struct Cache {
    details: HashMap<u64, Box<CallDetail>>,
}

impl Cache {
    /// Takes a rendered detail out of a message, before the update step sees it (it keeps the
    /// size).
    pub fn received(&mut self, message: &mut Message) {
        let (id, rendered) = match message {
            Message::CallFinished { call, detail, .. } => (call.id, detail),
            Message::DetailRendered {
                call_id, detail, ..
            } => (*call_id, detail),
            _ => return,
        };
        if let Some(lines) = rendered.lines.take() {
            self.details.insert(id, lines);
        }
    }

    /// A detail rendered by the caller (`App::record_call`).
    pub(crate) fn insert(&mut self, call_id: u64, detail: CallDetail) {
        self.details.insert(call_id, Box::new(detail));
    }

    /// After the update step: keeps the details the model still lists, drops the rest.
    pub fn keep_what(&mut self, model: &Model) {
        if self.details.len() != model.rendered.len()
            || self
                .details
                .keys()
                .any(|id| !model.rendered.contains_key(id))
        {
            self.details.retain(|id, _| model.rendered.contains_key(id));
        }
    }

    /// A call's rendered detail, if the view has it.
    pub fn detail(&self, call_id: u64) -> Option<&CallDetail> {
        self.details.get(&call_id).map(Box::as_ref)
    }

    /// How many calls' details are held (bounded: see `update/detail.rs`).
    pub fn details(&self) -> usize {
        self.details.len()
    }
}
