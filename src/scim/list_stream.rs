//! A ListResponse (RFC 7644 section 3.4.2) written piece by piece, for listings sent
//! while they are read: the head, the resources with their separators, the tail.
//!
//! JSON object members have no order (RFC 8259 section 4), so `totalResults` is
//! written in the head when it is known before the resources (Zoom's list totals) and
//! in the tail when it is counted while streaming (a filter evaluated here);
//! `itemsPerPage` is always in the tail. A listing cut part-way never gets its tail,
//! so what the client holds does not parse.

use serde_json::Value;

use super::model::urn;

/// The state of one streamed ListResponse.
#[derive(Debug)]
pub struct ListResponseWriter {
    total_in_head: bool,
    items: usize,
}

impl ListResponseWriter {
    /// Starts a ListResponse: the writer and the head's text (up to the opening `[` of
    /// `Resources`).
    pub fn start(start_index: usize, total: Option<usize>) -> (Self, String) {
        let mut head = format!(
            "{{\"schemas\":[\"{}\"],\"startIndex\":{start_index},",
            urn::LIST_RESPONSE
        );
        if let Some(total) = total {
            head.push_str(&format!("\"totalResults\":{total},"));
        }
        head.push_str("\"Resources\":[");
        let writer = Self {
            total_in_head: total.is_some(),
            items: 0,
        };
        (writer, head)
    }

    /// The text of the next resources, each after a comma but the first.
    pub fn resources(&mut self, resources: &[Value]) -> String {
        let mut text = String::new();
        for resource in resources {
            if self.items > 0 {
                text.push(',');
            }
            text.push_str(&resource.to_string());
            self.items += 1;
        }
        text
    }

    /// The tail: `itemsPerPage`, and `totalResults` when the head did not carry it
    /// (`total`, counted while streaming; the number of resources sent when absent).
    pub fn finish(&self, total: Option<usize>) -> String {
        let mut tail = format!("],\"itemsPerPage\":{}", self.items);
        if !self.total_in_head {
            let total = total.unwrap_or(self.items);
            tail.push_str(&format!(",\"totalResults\":{total}"));
        }
        tail.push('}');
        tail
    }

    /// Resources written so far.
    pub fn items(&self) -> usize {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::model::ListResponse;
    use serde_json::json;

    fn written(
        total_first: Option<usize>,
        chunks: &[Vec<Value>],
        total_last: Option<usize>,
    ) -> Value {
        let (mut writer, mut text) = ListResponseWriter::start(3, total_first);
        for chunk in chunks {
            text.push_str(&writer.resources(chunk));
        }
        text.push_str(&writer.finish(total_last));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    #[test]
    fn a_streamed_list_reads_as_the_held_one() {
        let a = json!({"id": "a", "userName": "a@x.com"});
        let b = json!({"id": "b", "displayName": "B \"quoted\"\n"});
        let c = json!({"id": "c"});
        let held = ListResponse::new(40, 3, vec![a.clone(), b.clone(), c.clone()]).to_json();
        let chunks = [vec![a.clone()], vec![], vec![b.clone(), c.clone()]];
        assert_eq!(written(Some(40), &chunks, None), held);
        assert_eq!(written(None, &chunks, Some(40)), held);
    }

    #[test]
    fn an_empty_stream_is_a_valid_empty_list() {
        let held = ListResponse::new(0, 3, Vec::new()).to_json();
        assert_eq!(written(None, &[], Some(0)), held);
        assert_eq!(written(Some(0), &[vec![]], None), held);
    }

    #[test]
    fn a_cut_stream_does_not_parse() {
        let (mut writer, mut text) = ListResponseWriter::start(1, Some(2));
        text.push_str(&writer.resources(&[json!({"id": "a"})]));
        assert!(serde_json::from_str::<Value>(&text).is_err());
        assert_eq!(writer.items(), 1);
    }
}
