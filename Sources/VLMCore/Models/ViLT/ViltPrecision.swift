/// ViLT in reduced precision (docs/precision.md, "ViLT"). ViLT has no separate text or image tower:
/// question and image tokens share one encoder, so `--precision` switches every encoder layer's
/// Linears (q/k/v, out_proj, fc1, fc2: nearly all of a forward's FLOPs). The pooler and the answer
/// head stay fp32 (a few rows; `includeText` switches them too, for measurement — the analogue of
/// the other models' text towers); embeddings, layer norms and attention stay fp32. Chosen by
/// measurement (`vlmnode bench accuracy --models vilt`, the "+head" row).
extension ViltForQuestionAnswering: PrecisionSelectable {
    public func setPrecision(_ p: Precision, includeText: Bool) {
        encoder.setPrecision(p)
        let head = includeText ? p : .fp32
        pooler.setPrecision(head)
        classifier.0.setPrecision(head)
        classifier.2.setPrecision(head)
    }
}
