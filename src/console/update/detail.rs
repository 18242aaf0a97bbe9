//! Keeping the rendered detail (diff, request, response) of only the calls that need it: the
//! selected one and the most recent few. A console left open all day makes thousands of calls;
//! each rendered detail holds two pretty-printed states, so keeping them all grows without
//! bound. An older call selected again is rendered again, off the UI task.

use std::sync::Arc;

use crate::console::call::CallDetail;
use crate::console::message::Effect;
use crate::console::model::Model;

/// Recent calls whose detail stays rendered (stepping back through them is instant).
const KEEP_RENDERED: usize = 8;

/// After every update: drop details nobody looks at, and ask for the selected call's if it
/// has none.
pub(crate) fn upkeep(app: &mut Model) -> Vec<Effect> {
    let len = app.history.len();
    let selected = app.selected;
    for (i, call) in app.history.iter_mut().enumerate() {
        if call.detail.is_some() && Some(i) != selected && i + KEEP_RENDERED < len {
            call.detail = None;
        }
    }
    let Some(call) = selected.and_then(|i| app.history.get(i)) else {
        return Vec::new();
    };
    if call.has_detail() || app.rendering_detail == Some(call.id) {
        return Vec::new();
    }
    let call = Box::new(call.clone());
    app.rendering_detail = Some(call.id);
    vec![Effect::RenderDetail {
        task: app.next_task(),
        call,
    }]
}

/// [`Message::DetailRendered`]: the call gets its detail back.
pub(crate) fn on_rendered(app: &mut Model, call_id: u64, detail: CallDetail) {
    if app.rendering_detail == Some(call_id) {
        app.rendering_detail = None;
    }
    if let Some(call) = app.history.iter_mut().find(|c| c.id == call_id) {
        call.detail = Some(Arc::new(detail));
    }
}
