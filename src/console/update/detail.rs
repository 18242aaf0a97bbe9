//! Which calls keep a rendered detail (diff, request, response): the selected one and the most
//! recent few. A console left open all day makes thousands of calls; each rendered detail holds
//! two pretty-printed states, so keeping them all grows without bound. An older call selected
//! again is rendered again, off the UI task. The lines themselves are the view's
//! (`view::Cache`, which keeps what [`Model::rendered`] lists); the model keeps their sizes.

use crate::console::detail::DetailSize;
use crate::console::message::Effect;
use crate::console::model::Model;

/// Recent calls whose detail stays rendered (stepping back through them is instant).
const KEEP_RENDERED: usize = 8;

/// After every update: forget details nobody looks at, and ask for the selected call's if it
/// has none.
pub(crate) fn upkeep(app: &mut Model) -> Vec<Effect> {
    let selected = app.selected_call().map(|c| c.id);
    if !app.rendered.is_empty() {
        let recent = app.history.iter().rev().take(KEEP_RENDERED).map(|c| c.id);
        let keep: Vec<u64> = recent.chain(selected).collect();
        app.rendered.retain(|id, _| keep.contains(id));
    }
    let Some(call) = app.selected_call() else {
        return Vec::new();
    };
    if app.rendered.contains_key(&call.id) || app.rendering_detail == Some(call.id) {
        return Vec::new();
    }
    let call = Box::new(call.clone());
    app.rendering_detail = Some(call.id);
    vec![Effect::RenderDetail {
        task: app.next_task(),
        call,
    }]
}

/// A call's detail was rendered (with the call, or again): the view holds it now.
pub(crate) fn on_rendered(app: &mut Model, call_id: u64, size: DetailSize) {
    if app.rendering_detail == Some(call_id) {
        app.rendering_detail = None;
    }
    if app.history.iter().rev().any(|c| c.id == call_id) {
        app.rendered.insert(call_id, size);
    }
}
