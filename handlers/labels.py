"""Vietnamese and English names of documents, for reasons and messages."""

from __future__ import annotations

DOC_LABELS: dict[str, tuple[str, str]] = {
    "user_management_decision": (
        "Quyết định quản lý người sử dụng trái phép chất ma túy",
        "drug-user management decision",
    ),
    "violation_record": ("Biên bản vi phạm hành chính (Mẫu 27)", "violation record (form 27)"),
    "determination_request": ("Văn bản đề nghị xác định tình trạng nghiện", "request for addiction determination"),
    "determination_result": ("Phiếu kết quả xác định tình trạng nghiện", "addiction determination result"),
    "cv": ("Bản tóm tắt lý lịch (Mẫu 30)", "summary CV (form 30)"),
    "statement": ("Bản tường trình của người bị đề nghị (Mẫu 31)", "the person's statement (form 31)"),
    "compiler_proposal": ("Văn bản đề nghị của người lập hồ sơ (Mẫu 29)", "the compiler's proposal (form 29)"),
    "residence_confirmation": (
        "Văn bản xác định nơi cư trú không ổn định",
        "document establishing no stable residence",
    ),
    "exclusion_confirmation": (
        "Xác nhận trường hợp không áp dụng (bệnh viện: mang thai; UBND xã: nuôi con nhỏ)",
        "confirmation of an exclusion (hospital: pregnancy; commune: a young child)",
    ),
    "pending_management_decision": (
        "Quyết định quản lý trong thời gian lập hồ sơ (Mẫu 36)",
        "decision on management while the dossier is pending (form 36)",
    ),
    "family_commitment": (
        "Bản cam kết quản lý tại gia đình (Mẫu 35)",
        "family's commitment to manage at home (form 35)",
    ),
    "force_majeure_record": (
        "Văn bản xác định sự kiện bất khả kháng đã chấm dứt",
        "record that the force majeure has ended",
    ),
    "term_suspension_decision": (
        "Quyết định tạm đình chỉ chấp hành tại cơ sở",
        "decision suspending the rest of the term",
    ),
    "term_resumption_decision": ("Quyết định tiếp tục chấp hành", "decision resuming the term"),
    "remainder_exemption_decision": (
        "Quyết định miễn chấp hành phần thời gian còn lại",
        "decision exempting the rest of the term",
    ),
    "test_escort_record": ("Biên bản đưa đi xét nghiệm ma túy", "record of the escort to a drug test"),
    "reading_notice": ("Thông báo về việc lập hồ sơ (Mẫu 32)", "notice of compiling the dossier (form 32)"),
    "transfer_letter": ("Văn bản chuyển hồ sơ", "transfer letter"),
    "legal_check_opinion": ("Ý kiến kiểm tra tính pháp lý của Phòng Tư pháp", "justice office's legality opinion"),
    "return_letter": ("Văn bản trả hồ sơ để bổ sung (Mẫu 33)", "letter returning the dossier (form 33)"),
    "labour_proposal": ("Văn bản đề nghị Tòa án xem xét (Mẫu 34/39)", "proposal to the court (form 34/39)"),
    "acceptance_notice": ("Thông báo thụ lý hồ sơ", "notice of acceptance"),
    "session_decision": ("Quyết định mở phiên họp", "decision to open the session"),
    "court_decision": ("Quyết định của Tòa án", "court decision"),
    "complaint": ("Đơn khiếu nại / kiến nghị / kháng nghị", "complaint, petition or protest"),
    "complaint_decision": ("Quyết định giải quyết khiếu nại, kiến nghị, kháng nghị", "decision on the complaint"),
    "postponement_decision": ("Quyết định hoãn chấp hành", "postponement decision"),
    "exemption_decision": ("Quyết định miễn chấp hành", "exemption decision"),
    "handover_record": ("Biên bản bàn giao (Mẫu 40)", "hand-over record (form 40)"),
    "search_decision": ("Quyết định truy tìm (Mẫu 41)", "search decision (form 41)"),
    "found_record": ("Biên bản bắt giữ / tự trình diện", "record of the person found"),
    "transfer_decision": ("Quyết định chuyển cơ sở", "facility transfer decision"),
    "completion_certificate": ("Giấy chứng nhận chấp hành xong (Mẫu 46)", "completion certificate (form 46)"),
    "return_report": ("Báo cáo trình diện về nơi cư trú", "report on returning home"),
    "post_rehab_proposal": ("Văn bản đề nghị quản lý sau cai (Mẫu 50)", "post-rehab supervision proposal (form 50)"),
    "post_rehab_decision": ("Quyết định quản lý sau cai nghiện (Mẫu 51)", "post-rehab supervision decision (form 51)"),
    "monitoring_order": ("Quyết định giám sát điện tử", "electronic monitoring order"),
    "move_notice": ("Thông báo chuyển nơi cư trú cho Công an xã nơi đến", "notice of a move to the new commune police"),
    "supervision_certificate": (
        "Giấy chứng nhận chấp hành xong quản lý sau cai (Mẫu 54)",
        "supervision certificate (form 54)",
    ),
    "relapse_record": ("Biên bản tái nghiện", "relapse record"),
    "discontinuation_decision": ("Quyết định đình chỉ", "discontinuation decision"),
    "facility_full_notice": (
        "Văn bản báo Tòa án về việc cơ sở cai nghiện quá tải",
        "notice to the court that the facility is full",
    ),
    "term_reduction_decision": (
        "Quyết định giảm thời hạn chấp hành (Tòa án, theo đề nghị của Giám đốc cơ sở)",
        "decision reducing the term (court, on the director's proposal)",
    ),
    "suspension_decision": ("Quyết định tạm đình chỉ việc xem xét", "decision to suspend the case"),
    "resumption_decision": ("Quyết định tiếp tục việc xem xét", "decision to resume the case"),
    "death_record": ("Giấy báo tử / trích lục khai tử", "death record"),
    "criminal_transfer": ("Văn bản chuyển cơ quan tiến hành tố tụng", "transfer to criminal proceedings"),
}


def doc_label_vi(doc_type: str) -> str:
    return DOC_LABELS.get(doc_type, (doc_type, doc_type))[0]


def doc_label_en(doc_type: str) -> str:
    return DOC_LABELS.get(doc_type, (doc_type, doc_type))[1]
