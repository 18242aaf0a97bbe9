//! Re-deciding a history of calls under other cohort definitions (filled in below).
