"""Every UI and report string in English (en), Simplified Chinese (zh) and Lao (lo).

Keys are `area.name`; `{name}` placeholders must be the same in all three languages (a test
checks it). Decision, reason, status and error-code keys end in the stable code they translate.
The Chinese and Lao texts were written for this project and should be reviewed by native
speakers working in the field before deployment; fix them here, in one place.
"""

# fmt: off
STRINGS: dict[str, dict[str, str]] = {
    # -- app frame --------------------------------------------------------------------------
    "app.title": {
        "en": "# WildLens\nIdentify seized wildlife products from photos. A screening aid, not "
              "forensic proof: anything uncertain goes to an expert.",
        "zh": "# WildLens\n通过照片识别查获的野生动植物制品。这是筛查辅助工具，不是法证证据："
              "任何不确定的结果都交由专家审核。",
        "lo": "# WildLens\nລະບຸຜະລິດຕະພັນສັດປ່າ ແລະ ພືດທີ່ຖືກຍຶດຈາກຮູບພາບ. ເປັນເຄື່ອງມືຊ່ວຍກວດກາເບື້ອງຕົ້ນ, "
              "ບໍ່ແມ່ນຫຼັກຖານທາງນິຕິວິທະຍາສາດ: ສິ່ງໃດທີ່ບໍ່ແນ່ນອນຈະຖືກສົ່ງໃຫ້ຜູ້ຊ່ຽວຊານກວດສອບ.",
    },
    "app.demo_banner": {
        "en": "**Demo model.** It was trained on synthetic drawings of textures, not on photos of "
              "real items: its answers mean nothing about a real seizure. Train on your own "
              "labelled photos (Workshop tab, or `python train.py`).",
        "zh": "**演示模型。** 它是用合成的纹理图训练的，不是真实物品的照片：它的答案对真实查获案件"
              "没有任何意义。请用您自己标注好的照片训练（“培训”标签页，或 `python train.py`）。",
        "lo": "**ໂມເດວສາທິດ.** ມັນຖືກຝຶກດ້ວຍຮູບແຕ້ມລວດລາຍສັງເຄາະ, ບໍ່ແມ່ນຮູບຖ່າຍຂອງສິ່ງຂອງແທ້: "
              "ຄຳຕອບຂອງມັນບໍ່ມີຄວາມໝາຍຫຍັງສຳລັບການຍຶດແທ້. ກະລຸນາຝຶກດ້ວຍຮູບທີ່ມີປ້າຍກຳກັບຂອງທ່ານເອງ "
              "(ແຖບ ການຝຶກອົບຮົມ, ຫຼື `python train.py`).",
    },
    "app.footer": {
        "en": "Every saved record keeps the sha256 of its photos and the identity of the model "
              "that answered. Photos are kept by their content, never by file name.",
        "zh": "每条保存的记录都保留照片的 sha256 和给出答案的模型身份。照片按内容保存，"
              "从不按文件名保存。",
        "lo": "ທຸກບັນທຶກທີ່ເກັບໄວ້ຈະຮັກສາ sha256 ຂອງຮູບ ແລະ ຂໍ້ມູນຂອງໂມເດວທີ່ໃຫ້ຄຳຕອບ. "
              "ຮູບຖືກເກັບຕາມເນື້ອໃນຂອງມັນ, ບໍ່ແມ່ນຕາມຊື່ໄຟລ໌.",
    },
    "app.login": {
        "en": "WildLens: please sign in",
        "zh": "WildLens：请登录",
        "lo": "WildLens: ກະລຸນາເຂົ້າສູ່ລະບົບ",
    },
    "login.title": {"en": "Sign in", "zh": "登录", "lo": "ເຂົ້າສູ່ລະບົບ"},
    "login.username": {"en": "User name", "zh": "用户名", "lo": "ຊື່ຜູ້ໃຊ້"},
    "login.password": {"en": "Password", "zh": "密码", "lo": "ລະຫັດຜ່ານ"},
    "login.button": {"en": "Sign in", "zh": "登录", "lo": "ເຂົ້າສູ່ລະບົບ"},
    "login.refused": {
        "en": "Wrong user name or password. Check both and try again.",
        "zh": "用户名或密码错误。请检查后重试。",
        "lo": "ຊື່ຜູ້ໃຊ້ ຫຼື ລະຫັດຜ່ານບໍ່ຖືກຕ້ອງ. ກະລຸນາກວດເບິ່ງ ແລ້ວລອງໃໝ່.",
    },
    "login.failed": {
        "en": "The server did not answer. Check the connection and try again.",
        "zh": "服务器没有响应。请检查网络连接后重试。",
        "lo": "ເຊີບເວີບໍ່ຕອບ. ກະລຸນາກວດການເຊື່ອມຕໍ່ ແລ້ວລອງໃໝ່.",
    },
    "model.line": {
        "en": "Model: **{name}** version {version} · weights sha256 `{sha}` · {classes} classes",
        "zh": "模型：**{name}** 版本 {version} · 权重 sha256 `{sha}` · {classes} 个类别",
        "lo": "ໂມເດວ: **{name}** ລຸ້ນ {version} · sha256 ຂອງນ້ຳໜັກ `{sha}` · {classes} ປະເພດ",
    },
    "model.demo": {"en": "DEMO", "zh": "演示", "lo": "ສາທິດ"},
    "app.signed_in": {
        "en": "Signed in as **{name}** ({role}) · [Sign out](logout)",
        "zh": "已登录：**{name}**（{role}）· [退出登录](logout)",
        "lo": "ເຂົ້າລະບົບເປັນ **{name}** ({role}) · [ອອກຈາກລະບົບ](logout)",
    },
    "role.officer": {"en": "officer", "zh": "执法人员", "lo": "ເຈົ້າໜ້າທີ່"},
    "role.expert": {"en": "expert", "zh": "专家", "lo": "ຜູ້ຊ່ຽວຊານ"},
    "role.trainer": {"en": "trainer", "zh": "培训人员", "lo": "ຜູ້ຝຶກ"},
    "role.admin": {"en": "administrator", "zh": "管理员", "lo": "ຜູ້ດູແລລະບົບ"},
    "language.zh": {"en": "Chinese", "zh": "中文", "lo": "ພາສາຈີນ"},
    "language.lo": {"en": "Lao", "zh": "老挝语", "lo": "ພາສາລາວ"},
    "font.missing": {
        "en": "This computer has no font for {name}: its letters show as boxes. Install "
              "one (Debian or Ubuntu: {package}) and reload the page.",
        "zh": "这台电脑没有{name}字体：文字会显示为方框。请安装字体（Debian 或 Ubuntu："
              "{package}）后重新加载页面。",
        "lo": "ຄອມພິວເຕີນີ້ບໍ່ມີຟອນສຳລັບ {name}: ຕົວອັກສອນຈະສະແດງເປັນກ່ອງ. ກະລຸນາຕິດຕັ້ງ "
              "(Debian ຫຼື Ubuntu: {package}) ແລ້ວໂຫລດໜ້າໃໝ່.",
    },
    "font.missing_server": {
        "en": "no {name} font on this computer: a browser here shows {name} pages as "
              "boxes (install {package}, e.g. apt-get install {package})",
        "zh": "这台电脑没有{name}字体：本机浏览器会把{name}页面显示为方框（请安装 "
              "{package}，例如 apt-get install {package}）",
        "lo": "ບໍ່ມີຟອນ {name} ໃນຄອມພິວເຕີນີ້: ບຣາວເຊີຢູ່ນີ້ຈະສະແດງໜ້າ {name} ເປັນກ່ອງ "
              "(ຕິດຕັ້ງ {package}, ເຊັ່ນ apt-get install {package})",
    },
    "tab.identify": {"en": "Identify", "zh": "识别", "lo": "ລະບຸ"},
    "tab.review": {"en": "Review queue", "zh": "审核队列", "lo": "ລາຍການລໍຖ້າກວດສອບ"},
    "tab.batch": {"en": "Batch", "zh": "批量", "lo": "ກວດເປັນຊຸດ"},
    "tab.workshop": {"en": "Workshop", "zh": "培训", "lo": "ການຝຶກອົບຮົມ"},

    # -- items on a table ---------------------------------------------------------------------
    "items.found": {
        "en": "{count} items on the photo",
        "zh": "照片上有 {count} 件物品",
        "lo": "ມີສິ່ງຂອງ {count} ອັນ ໃນຮູບ",
    },
    "items.found_one": {
        "en": "{count} item on the photo",
        "zh": "照片上有 {count} 件物品",
        "lo": "ມີສິ່ງຂອງ {count} ອັນ ໃນຮູບ",
    },
    "items.identified_part": {
        "en": "{count} {name} identified",
        "zh": "{count} 件{name}已识别",
        "lo": "{name} {count} ອັນ ລະບຸໄດ້ແລ້ວ",
    },
    "items.review_part": {
        "en": "{count} for review",
        "zh": "{count} 件需专家审核",
        "lo": "{count} ອັນ ຕ້ອງໃຫ້ຜູ້ຊ່ຽວຊານກວດສອບ",
    },
    "items.unknown_part": {
        "en": "{count} unknown",
        "zh": "{count} 件不在目录中",
        "lo": "{count} ອັນ ບໍ່ມີໃນລາຍການ",
    },
    "items.separator": {"en": ", ", "zh": "，", "lo": ", "},
    "items.action_review": {
        "en": "What to do: keep the items and save the record; an expert will decide the "
              "{count} items not identified.",
        "zh": "下一步：保留这些物品并保存记录；未识别的 {count} 件物品由专家判定。",
        "lo": "ສິ່ງທີ່ຕ້ອງເຮັດ: ເກັບສິ່ງຂອງໄວ້ ແລະ ບັນທຶກລາຍການ; ຜູ້ຊ່ຽວຊານຈະຕັດສິນສິ່ງຂອງ {count} ອັນ "
              "ທີ່ຍັງບໍ່ໄດ້ລະບຸ.",
    },
    "items.action_review_one": {
        "en": "What to do: keep the items and save the record; an expert will decide the "
              "{count} item not identified.",
        "zh": "下一步：保留这些物品并保存记录；未识别的 {count} 件物品由专家判定。",
        "lo": "ສິ່ງທີ່ຕ້ອງເຮັດ: ເກັບສິ່ງຂອງໄວ້ ແລະ ບັນທຶກລາຍການ; ຜູ້ຊ່ຽວຊານຈະຕັດສິນສິ່ງຂອງ {count} ອັນ "
              "ທີ່ຍັງບໍ່ໄດ້ລະບຸ.",
    },
    "items.action_identified": {
        "en": "What to do: save the record for the case file (one record per item).",
        "zh": "下一步：保存记录，存入案件档案（每件物品一条记录）。",
        "lo": "ສິ່ງທີ່ຕ້ອງເຮັດ: ບັນທຶກລາຍການໄວ້ໃນແຟ້ມຄະດີ (ໜຶ່ງລາຍການຕໍ່ສິ່ງຂອງໜຶ່ງອັນ).",
    },
    "items.legend_identified": {
        "en": "solid box: identified", "zh": "实线框：已识别", "lo": "ກອບເສັ້ນທຶບ: ລະບຸໄດ້ແລ້ວ",
    },
    "items.legend_review": {
        "en": "dashed box: needs expert review",
        "zh": "虚线框：需要专家审核",
        "lo": "ກອບເສັ້ນຂາດ: ຕ້ອງໃຫ້ຜູ້ຊ່ຽວຊານກວດສອບ",
    },
    "items.legend_unknown": {
        "en": "dotted box: not in catalogue",
        "zh": "点线框：不在目录中",
        "lo": "ກອບເສັ້ນຈຸດ: ບໍ່ມີໃນລາຍການ",
    },
    "items.col_number": {"en": "No.", "zh": "编号", "lo": "ລຳດັບ"},
    "items.col_item": {"en": "Item", "zh": "物品", "lo": "ສິ່ງຂອງ"},
    "items.col_result": {"en": "Result", "zh": "结果", "lo": "ຜົນ"},
    "items.col_top_classes": {"en": "Top classes", "zh": "最可能的类别", "lo": "ປະເພດທີ່ເປັນໄປໄດ້"},
    "items.col_reasons": {"en": "Reasons", "zh": "原因", "lo": "ເຫດຜົນ"},
    "items.card": {
        "en": "Catalogue card: {name}", "zh": "目录卡片：{name}", "lo": "ບັດລາຍການ: {name}",
    },
    "items.photo": {
        "en": "All items are on one photo, {name}: its sha256 is the evidence key",
        "zh": "所有物品都在同一张照片 {name} 上：其 sha256 是证据标识",
        "lo": "ສິ່ງຂອງທັງໝົດຢູ່ໃນຮູບດຽວ, {name}: sha256 ຂອງມັນແມ່ນກະແຈຫຼັກຖານ",
    },
    "items.overview": {
        "en": "{name} · {count} items, numbered as in the list",
        "zh": "{name} · {count} 件物品，编号与列表一致",
        "lo": "{name} · ສິ່ງຂອງ {count} ອັນ, ໃສ່ເລກຕາມລາຍການ",
    },
    "items.overview_one": {
        "en": "{name} · {count} item, numbered as in the list",
        "zh": "{name} · {count} 件物品，编号与列表一致",
        "lo": "{name} · ສິ່ງຂອງ {count} ອັນ, ໃສ່ເລກຕາມລາຍການ",
    },
    "items.of_photo": {
        "en": "item {n} of {count} on the photo",
        "zh": "照片上 {count} 件物品中的第 {n} 件",
        "lo": "ສິ່ງຂອງທີ {n} ຈາກ {count} ອັນ ໃນຮູບ",
    },
    "items.overview_caption": {
        "en": "the whole photo: item {n} in its numbered box",
        "zh": "整张照片：第 {n} 件物品在其编号框内",
        "lo": "ຮູບທັງໝົດ: ສິ່ງຂອງທີ {n} ຢູ່ໃນກອບທີ່ມີເລກຂອງມັນ",
    },
    "items.box": {
        "en": "item {n} of {count} on photo {sha}…, box {box} (pixels)",
        "zh": "照片 {sha}… 上 {count} 件物品中的第 {n} 件，框 {box}（像素）",
        "lo": "ສິ່ງຂອງທີ {n} ຈາກ {count} ອັນ ໃນຮູບ {sha}…, ກອບ {box} (ພິກເຊວ)",
    },
    "items.report_heading": {"en": "Item on a table", "zh": "桌上的物品", "lo": "ສິ່ງຂອງເທິງໂຕະ"},
    "items.report_photos": {
        "en": "Photos of items on a table",
        "zh": "桌上多件物品的照片",
        "lo": "ຮູບຂອງສິ່ງຂອງເທິງໂຕະ",
    },
    "items.report_photo": {
        "en": "Photo {name} (sha256 {sha}): {count} items, records {records}: {summary}",
        "zh": "照片 {name}（sha256 {sha}）：{count} 件物品，记录 {records}：{summary}",
        "lo": "ຮູບ {name} (sha256 {sha}): ສິ່ງຂອງ {count} ອັນ, ລາຍການ {records}: {summary}",
    },

    # -- identify -------------------------------------------------------------------------------
    "identify.photos": {
        "en": "Photos of one item", "zh": "同一物品的照片", "lo": "ຮູບຂອງສິ່ງຂອງອັນດຽວ",
    },
    "identify.photos_hint": {
        "en": "Camera or files; several sides of the same item help. After saving, press "
              "**New item** for the next one.",
        "zh": "拍照或选择文件；同一物品的多个角度更好。保存后，请点击“**下一件物品**”处理下一件。",
        "lo": "ຖ່າຍຮູບ ຫຼື ເລືອກໄຟລ໌; ຫຼາຍດ້ານຂອງສິ່ງຂອງອັນດຽວກັນຈະຊ່ວຍໄດ້. ຫຼັງຈາກບັນທຶກ, "
              "ກົດ **ສິ່ງຂອງໃໝ່** ສຳລັບອັນຕໍ່ໄປ.",
    },
    "identify.items": {
        "en": "Items on a table (one photo of several items)",
        "zh": "桌上的多件物品（一张照片拍多件物品）",
        "lo": "ສິ່ງຂອງຢູ່ເທິງໂຕະ (ຮູບດຽວມີຫຼາຍສິ່ງຂອງ)",
    },
    "identify.photos_table": {
        "en": "One photo of the whole table",
        "zh": "整张桌子的一张照片",
        "lo": "ຮູບດຽວຂອງໂຕະທັງໝົດ",
    },
    "identify.gallery_items": {
        "en": "The photo with each item's numbered box",
        "zh": "标出每件物品编号框的照片",
        "lo": "ຮູບທີ່ມີກອບໃສ່ເລກຂອງແຕ່ລະສິ່ງຂອງ",
    },
    "identify.items_hint": {
        "en": "Lay the items apart on a plain table or cloth (a ruler may lie beside them). Each "
              "item is found, numbered and decided alone; Save record saves one record per item.",
        "zh": "把物品分开摆放在素色桌面或布上（旁边可放尺子）。每件物品会被单独找出、编号并判定；"
              "“保存记录”为每件物品各保存一条记录。",
        "lo": "ວາງສິ່ງຂອງແຍກກັນເທິງໂຕະ ຫຼື ຜ້າສີດຽວ (ວາງໄມ້ບັນທັດໄວ້ຂ້າງໆໄດ້). ແຕ່ລະສິ່ງຂອງຈະຖືກຊອກຫາ, "
              "ໃສ່ເລກ ແລະ ຕັດສິນແຍກກັນ; ບັນທຶກລາຍການ ຈະບັນທຶກໜຶ່ງລາຍການຕໍ່ສິ່ງຂອງໜຶ່ງອັນ.",
    },
    "identify.saved_items": {
        "en": "Saved {count} items as records **#{first}** to **#{last}** (case {case}); "
              "{review} of them are in the experts' review queue. Press **New item** for the "
              "next photo of this case.",
        "zh": "已将 {count} 件物品保存为记录 **#{first}** 至 **#{last}**（案件 {case}）；"
              "其中 {review} 件已进入专家审核队列。"
              "处理本案件的下一张照片，请点击“**下一件物品**”。",
        "lo": "ບັນທຶກສິ່ງຂອງ {count} ອັນ ເປັນລາຍການ **#{first}** ຫາ **#{last}** (ຄະດີ {case}) ແລ້ວ; "
              "{review} ອັນ ຢູ່ໃນລາຍການລໍຖ້າຜູ້ຊ່ຽວຊານກວດສອບ. ກົດ **ສິ່ງຂອງໃໝ່** ສຳລັບຮູບຕໍ່ໄປຂອງຄະດີນີ້.",
    },
    "identify.saved_items_one": {
        "en": "Saved {count} item as record **#{first}** (case {case}); {review} of them in the "
              "experts' review queue. Press **New item** for the next photo of this case.",
        "zh": "已将 {count} 件物品保存为记录 **#{first}**（案件 {case}）；"
              "其中 {review} 件已进入专家审核队列。"
              "处理本案件的下一张照片，请点击“**下一件物品**”。",
        "lo": "ບັນທຶກສິ່ງຂອງ {count} ອັນ ເປັນລາຍການ **#{first}** (ຄະດີ {case}) ແລ້ວ; "
              "{review} ອັນ ຢູ່ໃນລາຍການລໍຖ້າຜູ້ຊ່ຽວຊານກວດສອບ. ກົດ **ສິ່ງຂອງໃໝ່** ສຳລັບຮູບຕໍ່ໄປຂອງຄະດີນີ້.",
    },
    "identify.new_item": {"en": "New item", "zh": "下一件物品", "lo": "ສິ່ງຂອງໃໝ່"},
    "identify.heat_map": {
        "en": "Show the heat map (where the model looked)",
        "zh": "显示热力图（模型关注的区域）",
        "lo": "ສະແດງແຜນທີ່ຄວາມຮ້ອນ (ບໍລິເວນທີ່ໂມເດວເບິ່ງ)",
    },
    "identify.run": {"en": "Identify", "zh": "识别", "lo": "ລະບຸ"},
    "identify.case_id": {
        "en": "Case / seizure id", "zh": "案件 / 查获编号", "lo": "ເລກຄະດີ / ເລກການຍຶດ",
    },
    "identify.case_id_hint": {
        "en": "e.g. BOTEN-2026-0142", "zh": "例如 BOTEN-2026-0142", "lo": "ຕົວຢ່າງ BOTEN-2026-0142",
    },
    "identify.location": {
        "en": "Location (border post, warehouse, ...)",
        "zh": "地点（口岸、仓库等）",
        "lo": "ສະຖານທີ່ (ດ່ານຊາຍແດນ, ສາງ, ...)",
    },
    "identify.officer": {"en": "Officer name", "zh": "执法人员姓名", "lo": "ຊື່ເຈົ້າໜ້າທີ່"},
    "identify.save": {"en": "Save record", "zh": "保存记录", "lo": "ບັນທຶກ"},
    "identify.top_classes": {
        "en": "Top classes (calibrated confidence)",
        "zh": "最可能的类别（校准后的置信度）",
        "lo": "ປະເພດທີ່ເປັນໄປໄດ້ທີ່ສຸດ (ຄວາມໝັ້ນໃຈທີ່ປັບທຽບແລ້ວ)",
    },
    "identify.gallery": {
        "en": "Photos as analysed (with the heat map of the answer)",
        "zh": "分析的照片（附答案的热力图）",
        "lo": "ຮູບທີ່ຖືກວິເຄາະ (ພ້ອມແຜນທີ່ຄວາມຮ້ອນຂອງຄຳຕອບ)",
    },
    "identify.details": {
        "en": "Details for the expert (top classes, each photo, catalogue card)",
        "zh": "供专家参考的详细信息（最可能的类别、每张照片、目录卡片）",
        "lo": "ລາຍລະອຽດສຳລັບຜູ້ຊ່ຽວຊານ (ປະເພດທີ່ເປັນໄປໄດ້, ແຕ່ລະຮູບ, ບັດລາຍການ)",
    },
    "identify.per_photo": {
        "en": "Each photo's own result", "zh": "每张照片各自的结果", "lo": "ຜົນຂອງແຕ່ລະຮູບ",
    },
    "identify.not_saved": {
        "en": "Answered by model {model}. Not saved yet: press Save record to keep it in the "
              "case file.",
        "zh": "由模型 {model} 给出答案。尚未保存：请点击“保存记录”将其存入案件档案。",
        "lo": "ຕອບໂດຍໂມເດວ {model}. ຍັງບໍ່ທັນບັນທຶກ: ກົດ ບັນທຶກ ເພື່ອເກັບໄວ້ໃນແຟ້ມຄະດີ.",
    },
    "identify.saved_for_review": {
        "en": "Saved as record **#{id}** (case {case}). It is in the experts' review queue. "
              "Press **New item** for the next item of this case.",
        "zh": "已保存为记录 **#{id}**（案件 {case}）。它已进入专家审核队列。"
              "处理本案件的下一件物品，请点击“**下一件物品**”。",
        "lo": "ບັນທຶກເປັນລາຍການ **#{id}** (ຄະດີ {case}) ແລ້ວ. ມັນຢູ່ໃນລາຍການລໍຖ້າຜູ້ຊ່ຽວຊານກວດສອບ. "
              "ກົດ **ສິ່ງຂອງໃໝ່** ສຳລັບສິ່ງຂອງຕໍ່ໄປຂອງຄະດີນີ້.",
    },
    "identify.saved_identified": {
        "en": "Saved as record **#{id}** (case {case}). Press **New item** for the next item "
              "of this case.",
        "zh": "已保存为记录 **#{id}**（案件 {case}）。"
              "处理本案件的下一件物品，请点击“**下一件物品**”。",
        "lo": "ບັນທຶກເປັນລາຍການ **#{id}** (ຄະດີ {case}) ແລ້ວ. ກົດ **ສິ່ງຂອງໃໝ່** "
              "ສຳລັບສິ່ງຂອງຕໍ່ໄປຂອງຄະດີນີ້.",
    },
    "identify.already_saved": {
        "en": "Already saved as record **#{id}**. Press Identify again to make a new record.",
        "zh": "已保存为记录 **#{id}**。如需新记录，请再次点击“识别”。",
        "lo": "ບັນທຶກເປັນລາຍການ **#{id}** ແລ້ວ. ກົດ ລະບຸ ອີກຄັ້ງເພື່ອສ້າງບັນທຶກໃໝ່.",
    },

    # -- the result -----------------------------------------------------------------------------
    "decision.identified": {"en": "Identified", "zh": "已识别", "lo": "ລະບຸໄດ້ແລ້ວ"},
    "decision.review": {
        "en": "Needs expert review", "zh": "需要专家审核", "lo": "ຕ້ອງໃຫ້ຜູ້ຊ່ຽວຊານກວດສອບ",
    },
    "decision.unknown": {"en": "Not in catalogue", "zh": "不在目录中", "lo": "ບໍ່ມີໃນລາຍການ"},
    "result.identified_as": {"en": "Identified as", "zh": "识别为", "lo": "ລະບຸວ່າເປັນ"},
    "result.most_likely": {"en": "Most likely", "zh": "最可能是", "lo": "ອາດຈະເປັນ"},
    "result.confidence": {
        "en": "{value} calibrated confidence", "zh": "校准置信度 {value}",
        "lo": "ຄວາມໝັ້ນໃຈທີ່ປັບທຽບແລ້ວ {value}",
    },
    "result.action_identified": {
        "en": "What to do: save the record for the case file.",
        "zh": "下一步：保存记录，存入案件档案。",
        "lo": "ສິ່ງທີ່ຕ້ອງເຮັດ: ບັນທຶກລາຍການໄວ້ໃນແຟ້ມຄະດີ.",
    },
    "result.action_review": {
        "en": "What to do: keep the item and save the record; an expert will decide what it is.",
        "zh": "下一步：保留该物品并保存记录；由专家判定它是什么。",
        "lo": "ສິ່ງທີ່ຕ້ອງເຮັດ: ເກັບສິ່ງຂອງໄວ້ ແລະ ບັນທຶກລາຍການ; ຜູ້ຊ່ຽວຊານຈະຕັດສິນວ່າມັນແມ່ນຫຍັງ.",
    },
    "result.action_retake": {
        "en": "What to do: take a sharper, closer photo in good light and press Identify again "
              "(or save the record for an expert).",
        "zh": "下一步：在光线充足处靠近拍一张更清晰的照片，然后再次点击“识别”"
              "（或保存记录交由专家判定）。",
        "lo": "ສິ່ງທີ່ຕ້ອງເຮັດ: ຖ່າຍຮູບໃກ້ຂຶ້ນ ແລະ ຊັດຂຶ້ນໃນບ່ອນທີ່ມີແສງດີ ແລ້ວກົດ ລະບຸ ອີກຄັ້ງ "
              "(ຫຼື ບັນທຶກລາຍການໃຫ້ຜູ້ຊ່ຽວຊານ).",
    },
    "result.unknown_explained": {
        "en": "This item looks unlike every class the model knows. Do not rely on any class "
              "name: an expert must examine it.",
        "zh": "该物品与模型已知的所有类别都不相似。请勿依赖任何类别名称：必须由专家检查。",
        "lo": "ສິ່ງຂອງນີ້ບໍ່ຄືກັບປະເພດໃດທີ່ໂມເດວຮູ້ຈັກ. ຢ່າເຊື່ອຖືຊື່ປະເພດໃດໆ: "
              "ຜູ້ຊ່ຽວຊານຕ້ອງກວດເບິ່ງ.",
    },
    "result.shortlist": {
        "en": "Shortlist for the expert", "zh": "供专家参考的候选类别",
        "lo": "ລາຍຊື່ທາງເລືອກສຳລັບຜູ້ຊ່ຽວຊານ",
    },
    "result.shortlist_coverage": {
        "en": "Shortlist for the expert (holds the right class {coverage} of the time)",
        "zh": "供专家参考的候选类别（有 {coverage} 的概率包含正确类别）",
        "lo": "ລາຍຊື່ທາງເລືອກສຳລັບຜູ້ຊ່ຽວຊານ (ມີປະເພດທີ່ຖືກຕ້ອງ {coverage} ຂອງກໍລະນີ)",
    },
    "result.photos_combined": {
        "en": "{count} photos combined into one decision; each photo's own result is below.",
        "zh": "{count} 张照片合并为一个结论；每张照片各自的结果见下方。",
        "lo": "ຮູບ {count} ຮູບ ຖືກລວມເປັນການຕັດສິນດຽວ; ຜົນຂອງແຕ່ລະຮູບຢູ່ດ້ານລຸ່ມ.",
    },
    "reason.low_confidence": {
        "en": "The model is not sure enough to answer on its own.",
        "zh": "模型把握不够，不能自行给出答案。",
        "lo": "ໂມເດວບໍ່ແນ່ໃຈພໍທີ່ຈະຕອບເອງ.",
    },
    "reason.ambiguous": {
        "en": "It could be more than one kind of item.",
        "zh": "它可能是不止一种物品。",
        "lo": "ມັນອາດເປັນສິ່ງຂອງໄດ້ຫຼາຍກວ່າໜຶ່ງຊະນິດ.",
    },
    "reason.out_of_catalogue": {
        "en": "It looks like none of the items this model knows.",
        "zh": "它看起来不像该模型认识的任何物品。",
        "lo": "ມັນບໍ່ຄືກັບສິ່ງຂອງໃດທີ່ໂມເດວນີ້ຮູ້ຈັກ.",
    },
    "reason.always_review_class": {
        "en": "Items of this kind are always checked by an expert.",
        "zh": "这类物品总是由专家核查。",
        "lo": "ສິ່ງຂອງປະເພດນີ້ຕ້ອງໃຫ້ຜູ້ຊ່ຽວຊານກວດສະເໝີ.",
    },
    "reason.insufficient_calibration": {
        "en": "This model has not been tested on enough photos of this kind to answer on its own.",
        "zh": "该模型还没有用足够多的这类照片测试过，不能自行给出答案。",
        "lo": "ໂມເດວນີ້ຍັງບໍ່ໄດ້ທົດສອບກັບຮູບປະເພດນີ້ພຽງພໍ ຈຶ່ງຕອບເອງບໍ່ໄດ້.",
    },
    "reason.target_not_shown": {
        "en": "In testing, this model was too often wrong about this kind of item to answer on "
              "its own.",
        "zh": "在测试中，该模型对这类物品出错太多，不能自行给出答案。",
        "lo": "ໃນການທົດສອບ, ໂມເດວນີ້ຜິດເລື້ອຍເກີນໄປກັບສິ່ງຂອງປະເພດນີ້ ຈຶ່ງຕອບເອງບໍ່ໄດ້.",
    },
    "reason.unfamiliar": {
        "en": "This photo is unlike the photos the model learned from.",
        "zh": "这张照片与模型学习过的照片不同。",
        "lo": "ຮູບນີ້ບໍ່ຄືກັບຮູບທີ່ໂມເດວໄດ້ຮຽນມາ.",
    },
    "reason.shift_suspected": {
        "en": "Recent photos look different from the ones this model was tested on, so it does "
              "not answer on its own for now. Check the light, focus and framing.",
        "zh": "最近的照片与该模型测试时的照片不同，所以它暂时不自行给出答案。"
              "请检查光线、对焦和构图。",
        "lo": "ຮູບລ່າສຸດແຕກຕ່າງຈາກຮູບທີ່ໃຊ້ທົດສອບໂມເດວນີ້ ຈຶ່ງບໍ່ຕອບເອງໃນຕອນນີ້. ກະລຸນາກວດແສງ, "
              "ຄວາມຊັດ ແລະ ການຈັດກອບ.",
    },
    "shift.ok": {
        "en": "Shift guard: the model's last {count} answers (every officer's) look like the "
              "photos it was calibrated on.",
        "zh": "分布偏移防护：最近 {count} 个答案与该模型校准时的照片相似。",
        "lo": "ການປ້ອງກັນການປ່ຽນແປງ: {count} ຄຳຕອບລ່າສຸດຄ້າຍກັບຮູບທີ່ໃຊ້ປັບທຽບໂມເດວນີ້.",
    },
    "shift.ok_one": {
        "en": "Shift guard: the model's {count} answer so far looks like the photos it was "
              "calibrated on.",
        "zh": "分布偏移防护：最近 {count} 个答案与该模型校准时的照片相似。",
        "lo": "ການປ້ອງກັນການປ່ຽນແປງ: {count} ຄຳຕອບລ່າສຸດຄ້າຍກັບຮູບທີ່ໃຊ້ປັບທຽບໂມເດວນີ້.",
    },
    "shift.suspended": {
        "en": "Shift guard: automatic answers are paused: the last {count} answers look unlike "
              "the photos this model was calibrated on ({rates}; calibration in brackets).",
        "zh": "分布偏移防护：已暂停自动答案：最近 {count} 个答案与该模型校准时的照片不同"
              "（{rates}；括号内为校准时的比例）。",
        "lo": "ການປ້ອງກັນການປ່ຽນແປງ: ຢຸດການຕອບອັດຕະໂນມັດຊົ່ວຄາວ: {count} ຄຳຕອບລ່າສຸດບໍ່ຄືກັບຮູບທີ່ໃຊ້"
              "ປັບທຽບໂມເດວນີ້ ({rates}; ໃນວົງເລັບແມ່ນຂອງການປັບທຽບ).",
    },
    "shift.suspended_one": {
        "en": "Shift guard: automatic answers are paused: the model's {count} answer so far "
              "looks unlike the photos it was calibrated on ({rates}; calibration in brackets).",
        "zh": "分布偏移防护：已暂停自动答案：最近 {count} 个答案与该模型校准时的照片不同"
              "（{rates}；括号内为校准时的比例）。",
        "lo": "ການປ້ອງກັນການປ່ຽນແປງ: ຢຸດການຕອບອັດຕະໂນມັດຊົ່ວຄາວ: {count} ຄຳຕອບລ່າສຸດບໍ່ຄືກັບຮູບທີ່ໃຊ້"
              "ປັບທຽບໂມເດວນີ້ ({rates}; ໃນວົງເລັບແມ່ນຂອງການປັບທຽບ).",
    },
    "shift.paused": {
        "en": "Automatic answers are paused: recent photos look different from the ones this "
              "model was tested on. Check the light, focus and framing; meanwhile an expert "
              "decides every item.",
        "zh": "已暂停自动答案：最近的照片与该模型测试时的照片不同。请检查光线、对焦和构图；"
              "在此期间每件物品都由专家判定。",
        "lo": "ຢຸດການຕອບອັດຕະໂນມັດຊົ່ວຄາວ: ຮູບລ່າສຸດແຕກຕ່າງຈາກຮູບທີ່ໃຊ້ທົດສອບໂມເດວນີ້. ກະລຸນາກວດແສງ, "
              "ຄວາມຊັດ ແລະ ການຈັດກອບ; ໃນລະຫວ່າງນີ້ ຜູ້ຊ່ຽວຊານຈະຕັດສິນທຸກສິ່ງຂອງ.",
    },
    "shift.signal.unknown": {"en": "unknown", "zh": "未知", "lo": "ບໍ່ຮູ້ຈັກ"},
    "shift.signal.atypicality": {
        "en": "atypical (mean rank)",
        "zh": "不典型程度（平均排名）",
        "lo": "ຄວາມຜິດປົກກະຕິ (ອັນດັບສະເລ່ຍ)",
    },
    "shift.signal.low_confidence": {
        "en": "low confidence", "zh": "置信度低", "lo": "ຄວາມໝັ້ນໃຈຕ່ຳ",
    },
    "reason.poor_image": {
        "en": "The photo is too small, blurred or plain.",
        "zh": "照片太小、模糊或缺少细节。",
        "lo": "ຮູບນ້ອຍເກີນໄປ, ມົວ ຫຼື ບໍ່ມີລາຍລະອຽດ.",
    },
    "reason_detail.low_confidence": {
        "en": "Calibrated confidence below this class's automatic-answer threshold.",
        "zh": "校准置信度低于该类别的自动答案阈值。",
        "lo": "ຄວາມໝັ້ນໃຈທີ່ປັບທຽບແລ້ວຕ່ຳກວ່າເກນຕອບອັດຕະໂນມັດຂອງປະເພດນີ້.",
    },
    "reason_detail.ambiguous": {
        "en": "The conformal shortlist holds more than one class.",
        "zh": "保形预测候选集包含不止一个类别。",
        "lo": "ລາຍຊື່ທາງເລືອກ (conformal) ມີຫຼາຍກວ່າໜຶ່ງປະເພດ.",
    },
    "reason_detail.out_of_catalogue": {
        "en": "Unknown-ness score above the out-of-catalogue threshold (energy or feature "
              "distance).",
        "zh": "未知度得分高于目录外阈值（能量或特征距离）。",
        "lo": "ຄະແນນຄວາມບໍ່ຮູ້ຈັກສູງກວ່າເກນນອກລາຍການ (ພະລັງງານ ຫຼື ໄລຍະຫ່າງຂອງຄຸນລັກສະນະ).",
    },
    "reason_detail.always_review_class": {
        "en": "The catalogue marks this class as always reviewed.",
        "zh": "目录将该类别设为始终审核。",
        "lo": "ລາຍການກຳນົດໃຫ້ປະເພດນີ້ຕ້ອງກວດສອບສະເໝີ.",
    },
    "reason_detail.insufficient_calibration": {
        "en": "Too few calibration photos to show this class's precision target: no automatic "
              "answers.",
        "zh": "校准照片太少，无法证明该类别的精确率目标：不自动给出答案。",
        "lo": "ຮູບປັບທຽບໜ້ອຍເກີນໄປທີ່ຈະສະແດງເປົ້າໝາຍຄວາມແມ່ນຍຳຂອງປະເພດນີ້: ບໍ່ມີຄຳຕອບອັດຕະໂນມັດ.",
    },
    "reason_detail.target_not_shown": {
        "en": "The calibration photos held too many confident mistakes to show the precision "
              "target: no automatic answers for this class.",
        "zh": "校准照片中高置信度的错误太多，无法证明精确率目标：该类别不自动给出答案。",
        "lo": "ຮູບປັບທຽບມີຄວາມຜິດພາດທີ່ໝັ້ນໃຈຫຼາຍເກີນໄປ ຈຶ່ງສະແດງເປົ້າໝາຍຄວາມແມ່ນຍຳບໍ່ໄດ້: "
              "ບໍ່ມີຄຳຕອບອັດຕະໂນມັດສຳລັບປະເພດນີ້.",
    },
    "reason_detail.unfamiliar": {
        "en": "The photo is atypical of the calibration photos (feature-space distance).",
        "zh": "该照片相对校准照片不典型（特征空间距离）。",
        "lo": "ຮູບນີ້ຜິດປົກກະຕິເມື່ອທຽບກັບຮູບປັບທຽບ (ໄລຍະຫ່າງໃນພື້ນທີ່ຄຸນລັກສະນະ).",
    },
    "reason_detail.shift_suspected": {
        "en": "Shift guard: recent answers look unlike the calibration photos; automatic answers "
              "suspended.",
        "zh": "分布偏移防护：最近的答案与校准照片不同；已暂停自动答案。",
        "lo": "ການປ້ອງກັນການປ່ຽນແປງ: ຄຳຕອບລ່າສຸດບໍ່ຄືກັບຮູບປັບທຽບ; ຢຸດການຕອບອັດຕະໂນມັດ.",
    },
    "reason_detail.poor_image": {
        "en": "The photo is below the quality limits (size, sharpness or contrast).",
        "zh": "照片低于质量下限（尺寸、清晰度或对比度）。",
        "lo": "ຮູບຕ່ຳກວ່າເກນຄຸນນະພາບ (ຂະໜາດ, ຄວາມຊັດ ຫຼື ຄວາມຄົມຊັດ).",
    },
    "label.not_in_catalogue": {"en": "Not in catalogue", "zh": "不在目录中", "lo": "ບໍ່ມີໃນລາຍການ"},

    # -- catalogue card -------------------------------------------------------------------------
    "card.lookalikes": {"en": "Look-alikes", "zh": "易混淆的相似物", "lo": "ສິ່ງທີ່ຄ້າຍຄືກັນ"},
    "card.taxon": {"en": "Taxon", "zh": "分类单元", "lo": "ຊື່ວິທະຍາສາດ"},
    "card.cites": {"en": "CITES appendix", "zh": "CITES 附录", "lo": "ບັນຊີ CITES"},
    "card.cites_none": {"en": "not listed", "zh": "未列入", "lo": "ບໍ່ໄດ້ຢູ່ໃນບັນຊີ"},
    "card.group": {"en": "Group", "zh": "类群", "lo": "ກຸ່ມ"},
    "card.routing": {"en": "Routing", "zh": "处理方式", "lo": "ວິທີຈັດການ"},
    "card.always_review": {
        "en": "always confirmed by an expert", "zh": "始终由专家确认",
        "lo": "ຜູ້ຊ່ຽວຊານຢືນຢັນສະເໝີ",
    },
    "card.auto": {
        "en": "this model may answer on its own when it is sure enough; it was set so that at "
              "least {value} of such answers are right on photos like its training photos",
        "zh": "该模型在把握足够时可自行给出答案；其设定保证在与训练照片类似的照片上，"
              "至少 {value} 的自动答案是正确的",
        "lo": "ໂມເດວນີ້ສາມາດຕອບເອງເມື່ອແນ່ໃຈພໍ; ມັນຖືກຕັ້ງໃຫ້ຢ່າງໜ້ອຍ {value} ຂອງຄຳຕອບແບບນີ້ຖືກຕ້ອງ "
              "ກັບຮູບທີ່ຄ້າຍກັບຮູບທີ່ໃຊ້ຝຶກ",
    },
    "card.expert_only": {
        "en": "this model never answers it on its own: an expert decides every item.",
        "zh": "该模型从不自行给出这一类别的答案：每件物品都由专家判定。",
        "lo": "ໂມເດວນີ້ບໍ່ເຄີຍຕອບປະເພດນີ້ເອງ: ຜູ້ຊ່ຽວຊານຕັດສິນທຸກສິ່ງຂອງ.",
    },
    "card.not_in_model": {
        "en": "not a class of this model", "zh": "不是该模型的类别", "lo": "ບໍ່ແມ່ນປະເພດຂອງໂມເດວນີ້",
    },
    "card.features": {
        "en": "What to look for", "zh": "识别特征（英文）", "lo": "ສິ່ງທີ່ຄວນສັງເກດ (ພາສາອັງກິດ)",
    },
    "group.ivory": {"en": "ivory", "zh": "象牙类", "lo": "ງາ"},
    "group.keratin": {"en": "keratin", "zh": "角蛋白类", "lo": "ເຄຣາຕິນ"},
    "group.timber": {"en": "timber", "zh": "木材", "lo": "ໄມ້"},
    "group.lookalike": {"en": "look-alike", "zh": "相似品", "lo": "ສິ່ງທີ່ຄ້າຍຄືກັນ"},
    "group.other": {"en": "other", "zh": "其他", "lo": "ອື່ນໆ"},

    # -- per-photo table ------------------------------------------------------------------------
    "photos.number": {"en": "#", "zh": "#", "lo": "#"},
    "photos.file": {"en": "File", "zh": "文件", "lo": "ໄຟລ໌"},
    "photos.result": {"en": "Result", "zh": "结果", "lo": "ຜົນ"},
    "photos.reasons": {"en": "Reasons", "zh": "原因", "lo": "ເຫດຜົນ"},
    "photos.sha256": {"en": "sha256", "zh": "sha256", "lo": "sha256"},

    # -- errors ---------------------------------------------------------------------------------
    "error.photo_unusable": {
        "en": "Photo {n} ({name}) cannot be used: {reason} [{code}]. Remove it or take "
              "another photo.",
        "zh": "第 {n} 张照片（{name}）无法使用：{reason} [{code}]。请移除或重新拍摄。",
        "lo": "ຮູບທີ {n} ({name}) ໃຊ້ບໍ່ໄດ້: {reason} [{code}]. ກະລຸນາເອົາອອກ ຫຼື ຖ່າຍຮູບໃໝ່.",
    },
    "image_error.empty": {
        "en": "the file is empty (0 bytes)", "zh": "文件是空的（0 字节）",
        "lo": "ໄຟລ໌ຫວ່າງເປົ່າ (0 ໄບ)",
    },
    "image_error.not_an_image": {
        "en": "the file is not an image", "zh": "该文件不是图片", "lo": "ໄຟລ໌ນີ້ບໍ່ແມ່ນຮູບ",
    },
    "image_error.unsupported_format": {
        "en": "this image format is not accepted (use JPEG, PNG, WebP, TIFF, BMP, GIF or HEIC)",
        "zh": "不接受该图片格式（请使用 JPEG、PNG、WebP、TIFF、BMP、GIF 或 HEIC）",
        "lo": "ບໍ່ຮັບຮູບແບບຮູບນີ້ (ໃຊ້ JPEG, PNG, WebP, TIFF, BMP, GIF ຫຼື HEIC)",
    },
    "image_error.too_many_pixels": {
        "en": "the image has too many pixels", "zh": "图片像素过多",
        "lo": "ຮູບມີພິກເຊລຫຼາຍເກີນໄປ",
    },
    "image_error.truncated": {
        "en": "the file is cut short (an incomplete copy or download?)",
        "zh": "文件不完整（复制或下载未完成？）",
        "lo": "ໄຟລ໌ບໍ່ຄົບ (ສຳເນົາ ຫຼື ດາວໂຫລດບໍ່ສຳເລັດ?)",
    },
    "image_error.corrupt": {
        "en": "the image data is damaged", "zh": "图片数据已损坏",
        "lo": "ຂໍ້ມູນຮູບເສຍຫາຍ",
    },
    "image_error.unreadable": {
        "en": "the file cannot be read", "zh": "无法读取该文件", "lo": "ອ່ານໄຟລ໌ບໍ່ໄດ້",
    },
    "image_error.unprocessable": {
        "en": "the photo cannot be resized for the model (an extreme shape?)",
        "zh": "无法为模型缩放该照片（形状过于极端？）",
        "lo": "ບໍ່ສາມາດປັບຂະໜາດຮູບສຳລັບໂມເດວໄດ້ (ຮູບຊົງຜິດປົກກະຕິ?)",
    },
    "error.no_photo": {
        "en": "Please add at least one photo of the item.",
        "zh": "请至少添加一张该物品的照片。",
        "lo": "ກະລຸນາເພີ່ມຮູບຂອງສິ່ງຂອງຢ່າງໜ້ອຍໜຶ່ງຮູບ.",
    },
    "error.too_many_photos": {
        "en": "At most {limit} photos per item.",
        "zh": "每件物品最多 {limit} 张照片。",
        "lo": "ສູງສຸດ {limit} ຮູບຕໍ່ສິ່ງຂອງໜຶ່ງອັນ.",
    },
    "error.identify_first": {
        "en": "Press Identify first: there is no result to save.",
        "zh": "请先点击“识别”：目前没有可保存的结果。",
        "lo": "ກະລຸນາກົດ ລະບຸ ກ່ອນ: ຍັງບໍ່ມີຜົນທີ່ຈະບັນທຶກ.",
    },
    "error.case_required": {
        "en": "Please enter the case or seizure id.",
        "zh": "请输入案件或查获编号。",
        "lo": "ກະລຸນາໃສ່ເລກຄະດີ ຫຼື ເລກການຍຶດ.",
    },
    "error.officer_required": {
        "en": "Please enter the officer's name.",
        "zh": "请输入执法人员姓名。",
        "lo": "ກະລຸນາໃສ່ຊື່ເຈົ້າໜ້າທີ່.",
    },
    "error.items_one_photo": {
        "en": "Items on a table takes one photo of the whole table ({count} were given): "
              "remove the others, or turn the switch off for several photos of one item.",
        "zh": "“桌上的多件物品”只接受一张拍下整张桌子的照片（现有 {count} 张）："
              "请删除其他照片，或关闭该开关以处理同一物品的多张照片。",
        "lo": "ສິ່ງຂອງເທິງໂຕະ ໃຊ້ຮູບດຽວຂອງໂຕະທັງໝົດ (ໃຫ້ມາ {count} ຮູບ): "
              "ລຶບຮູບອື່ນອອກ, ຫຼື ປິດສະວິດ ສຳລັບຫຼາຍຮູບຂອງສິ່ງຂອງອັນດຽວ.",
    },
    "error.no_items": {
        "en": "No item was found on this photo. Lay the items apart on a plain or evenly "
              "textured table or cloth, photograph the whole table, or turn the switch off.",
        "zh": "这张照片上没有找到物品。请把物品分开摆放在素色或纹理均匀的桌面或布上，拍下整张桌子，"
              "或关闭该开关。",
        "lo": "ບໍ່ພົບສິ່ງຂອງໃນຮູບນີ້. ວາງສິ່ງຂອງແຍກກັນເທິງໂຕະ ຫຼື ຜ້າທີ່ມີສີດຽວ ຫຼື ລວດລາຍສະໝ່ຳສະເໝີ, "
              "ຖ່າຍຮູບໂຕະທັງໝົດ, ຫຼື ປິດສະວິດ.",
    },
    "error.photos_changed": {
        "en": "The photos changed since they were identified: press Identify again before saving.",
        "zh": "照片在识别后已更改：保存前请再次点击“识别”。",
        "lo": "ຮູບມີການປ່ຽນແປງຫຼັງຈາກລະບຸແລ້ວ: ກະລຸນາກົດ ລະບຸ ອີກຄັ້ງກ່ອນບັນທຶກ.",
    },
    "error.photo_gone": {
        "en": "Photo {n} is no longer on the server (uploads are deleted after a while): add it "
              "again and press Identify.",
        "zh": "第 {n} 张照片已不在服务器上（上传的文件会在一段时间后删除）："
              "请重新添加并点击“识别”。",
        "lo": "ຮູບທີ {n} ບໍ່ມີຢູ່ໃນເຊີບເວີແລ້ວ (ໄຟລ໌ທີ່ອັບໂຫລດຈະຖືກລຶບຫຼັງຈາກໄລຍະໜຶ່ງ): "
              "ກະລຸນາເພີ່ມອີກຄັ້ງ ແລ້ວກົດ ລະບຸ.",
    },
    "error.record_number": {
        "en": "Enter a record number (or click a row of the queue).",
        "zh": "请输入记录编号（或点击队列中的一行）。",
        "lo": "ກະລຸນາໃສ່ເລກລາຍການ (ຫຼື ກົດແຖວໃນລາຍການລໍຖ້າ).",
    },
    "error.no_record": {
        "en": "There is no record #{id}.", "zh": "没有记录 #{id}。", "lo": "ບໍ່ມີລາຍການ #{id}.",
    },
    "error.open_first": {
        "en": "Open the record first (its photos and history), then give your verdict.",
        "zh": "请先打开该记录（查看照片和历史），再给出您的结论。",
        "lo": "ກະລຸນາເປີດລາຍການກ່ອນ (ເບິ່ງຮູບ ແລະ ປະຫວັດ), ແລ້ວຈຶ່ງໃຫ້ຄຳຕັດສິນຂອງທ່ານ.",
    },
    "error.not_allowed": {
        "en": "{name} ({role}) may not do this: it needs the role {roles}.",
        "zh": "{name}（{role}）无权执行此操作：需要以下角色之一：{roles}。",
        "lo": "{name} ({role}) ບໍ່ມີສິດເຮັດສິ່ງນີ້: ຕ້ອງມີບົດບາດ {roles}.",
    },
    "error.reviewer_required": {
        "en": "Please enter your name (reviewer).", "zh": "请输入您的姓名（审核人）。",
        "lo": "ກະລຸນາໃສ່ຊື່ຂອງທ່ານ (ຜູ້ກວດສອບ).",
    },
    "error.comment_required": {
        "en": "Write what you saw in the comment: a correction needs its reason.",
        "zh": "请在意见中写下您观察到的特征：更正必须说明理由。",
        "lo": "ກະລຸນາຂຽນສິ່ງທີ່ທ່ານເຫັນໃນຄຳເຫັນ: ການແກ້ໄຂຕ້ອງມີເຫດຜົນ.",
    },
    "error.same_label": {
        "en": "{label} is already the record's label: press Confirm label instead.",
        "zh": "{label} 已经是该记录的标签：请改为点击“确认标签”。",
        "lo": "{label} ເປັນປ້າຍກຳກັບຂອງລາຍການນີ້ແລ້ວ: ກະລຸນາກົດ ຢືນຢັນປ້າຍກຳກັບ ແທນ.",
    },
    "error.bad_label": {
        "en": "{label} cannot be a class id: use lowercase letters, digits, _ or -.",
        "zh": "{label} 不能作为类别编号：请使用小写字母、数字、_ 或 -。",
        "lo": "{label} ໃຊ້ເປັນລະຫັດປະເພດບໍ່ໄດ້: ໃຊ້ຕົວພິມນ້ອຍ, ຕົວເລກ, _ ຫຼື -.",
    },
    "error.record_changed": {
        "en": "Record #{id} changed since you opened it ({action} by {who} at {time}): open it "
              "again, read that verdict, then decide.",
        "zh": "记录 #{id} 在您打开后已被更改（{who} 于 {time} {action}）：请重新打开，阅读该结论后"
              "再决定。",
        "lo": "ລາຍການ #{id} ມີການປ່ຽນແປງຫຼັງຈາກທ່ານເປີດ ({action} ໂດຍ {who} ເວລາ {time}): "
              "ກະລຸນາເປີດອີກຄັ້ງ, ອ່ານຄຳຕັດສິນນັ້ນ, ແລ້ວຈຶ່ງຕັດສິນ.",
    },
    "error.too_long": {
        "en": "{field}: at most {limit} characters.", "zh": "{field}：最多 {limit} 个字符。",
        "lo": "{field}: ສູງສຸດ {limit} ຕົວອັກສອນ.",
    },
    "error.choose_label": {
        "en": "Choose the correct label first.", "zh": "请先选择正确的标签。",
        "lo": "ກະລຸນາເລືອກປ້າຍກຳກັບທີ່ຖືກຕ້ອງກ່ອນ.",
    },
    "error.no_case": {
        "en": "No saved records for case {case}.", "zh": "案件 {case} 没有已保存的记录。",
        "lo": "ບໍ່ມີບັນທຶກສຳລັບຄະດີ {case}.",
    },
    "error.no_archive": {
        "en": "Please upload a zip file of photos.", "zh": "请上传一个照片 zip 文件。",
        "lo": "ກະລຸນາອັບໂຫລດໄຟລ໌ zip ຂອງຮູບ.",
    },
    "error.not_a_zip": {
        "en": "Please upload a .zip file.", "zh": "请上传 .zip 文件。",
        "lo": "ກະລຸນາອັບໂຫລດໄຟລ໌ .zip.",
    },
    "error.no_training_photos": {
        "en": "Upload a zip of class folders, or pick a dataset.",
        "zh": "请上传按类别分文件夹的 zip，或选择一个数据集。",
        "lo": "ກະລຸນາອັບໂຫລດ zip ທີ່ມີໂຟນເດີແຍກຕາມປະເພດ, ຫຼື ເລືອກຊຸດຂໍ້ມູນ.",
    },
    "error.no_dataset": {
        "en": "There is no dataset {name}.", "zh": "没有数据集 {name}。",
        "lo": "ບໍ່ມີຊຸດຂໍ້ມູນ {name}.",
    },
    "error.training_busy": {
        "en": "A model is being trained already; try again when it has finished.",
        "zh": "已有模型正在训练；请在其完成后再试。",
        "lo": "ກຳລັງຝຶກໂມເດວຢູ່ແລ້ວ; ກະລຸນາລອງໃໝ່ເມື່ອມັນສຳເລັດ.",
    },
    "error.choose_model": {
        "en": "Choose a model first.", "zh": "请先选择一个模型。", "lo": "ກະລຸນາເລືອກໂມເດວກ່ອນ.",
    },

    # -- review ---------------------------------------------------------------------------------
    "review.help": {
        "en": "Items the model routed to an expert, oldest first. Open one (click its row, or "
              "type its number), look at the photos and the model's reasons, then confirm the "
              "label or correct it. Every verdict is added to the record's history with your "
              "name and the time; nothing is ever overwritten.",
        "zh": "模型转交专家的物品，按时间从早到晚排列。打开一条（点击该行或输入编号），查看照片和"
              "模型给出的原因，然后确认或更正标签。每个结论都会连同您的姓名和时间加入该记录的历史；"
              "任何内容都不会被覆盖。",
        "lo": "ສິ່ງຂອງທີ່ໂມເດວສົ່ງໃຫ້ຜູ້ຊ່ຽວຊານ, ເກົ່າທີ່ສຸດກ່ອນ. ເປີດລາຍການໜຶ່ງ (ກົດແຖວ ຫຼື "
              "ພິມເລກ), ເບິ່ງຮູບ ແລະ ເຫດຜົນຂອງໂມເດວ, ແລ້ວຢືນຢັນ ຫຼື ແກ້ໄຂປ້າຍກຳກັບ. "
              "ທຸກຄຳຕັດສິນຈະຖືກເພີ່ມເຂົ້າໃນປະຫວັດຂອງລາຍການ ພ້ອມຊື່ຂອງທ່ານ ແລະ ເວລາ; "
              "ບໍ່ມີຫຍັງຖືກຂຽນທັບ.",
    },
    "review.case_filter": {"en": "Case", "zh": "案件", "lo": "ຄະດີ"},
    "review.class_filter": {"en": "Class", "zh": "类别", "lo": "ປະເພດ"},
    "review.all": {"en": "All classes", "zh": "所有类别", "lo": "ທຸກປະເພດ"},
    "review.refresh": {"en": "Show queue", "zh": "显示队列", "lo": "ສະແດງລາຍການ"},
    "review.queue": {
        "en": "Waiting for review (oldest first)", "zh": "等待审核（最早的在前）",
        "lo": "ລໍຖ້າການກວດສອບ (ເກົ່າທີ່ສຸດກ່ອນ)",
    },
    "review.record_number": {"en": "Record number", "zh": "记录编号", "lo": "ເລກລາຍການ"},
    "review.record_number_hint": {
        "en": "click a row of the queue, or type its number",
        "zh": "点击队列中的一行，或输入编号",
        "lo": "ກົດແຖວໃນລາຍການ, ຫຼື ພິມເລກຂອງມັນ",
    },
    "review.nothing_waiting": {
        "en": "Nothing is waiting for review.", "zh": "没有等待审核的物品。",
        "lo": "ບໍ່ມີຫຍັງລໍຖ້າການກວດສອບ.",
    },
    "review.waiting": {
        "en": "{count} items waiting, oldest first.", "zh": "{count} 件物品等待审核，最早的在前。",
        "lo": "{count} ລາຍການລໍຖ້າ, ເກົ່າທີ່ສຸດກ່ອນ.",
    },
    "review.waiting_one": {
        "en": "{count} item waiting.",
        "zh": "{count} 件物品等待审核，最早的在前。",
        "lo": "{count} ລາຍການລໍຖ້າ, ເກົ່າທີ່ສຸດກ່ອນ.",
    },
    "review.open": {"en": "Open record", "zh": "打开记录", "lo": "ເປີດລາຍການ"},
    "review.history": {"en": "History", "zh": "历史", "lo": "ປະຫວັດ"},
    "review.photos": {"en": "Photos", "zh": "照片", "lo": "ຮູບ"},
    "review.reviewer": {
        "en": "Your name (reviewer)", "zh": "您的姓名（审核人）", "lo": "ຊື່ຂອງທ່ານ (ຜູ້ກວດສອບ)",
    },
    "review.comment": {"en": "Comment", "zh": "意见", "lo": "ຄຳເຫັນ"},
    "review.comment_hint": {
        "en": "What you saw (required for a correction)",
        "zh": "您观察到的特征（更正时必填）",
        "lo": "ສິ່ງທີ່ທ່ານເຫັນ (ຕ້ອງໃສ່ເມື່ອແກ້ໄຂ)",
    },
    "review.confirm": {"en": "Confirm label", "zh": "确认标签", "lo": "ຢືນຢັນປ້າຍກຳກັບ"},
    "review.correct_to": {"en": "Correct label to", "zh": "更正标签为", "lo": "ແກ້ໄຂປ້າຍກຳກັບເປັນ"},
    "review.correct": {"en": "Save correction", "zh": "保存更正", "lo": "ບັນທຶກການແກ້ໄຂ"},
    "review.verdict_saved": {
        "en": "Record #{id}: {action} as {label}.",
        "zh": "记录 #{id}：{action}为 {label}。",
        "lo": "ລາຍການ #{id}: {action} ເປັນ {label}.",
    },
    "review.export_title": {
        "en": "Export expert labels for retraining", "zh": "导出专家标签用于重新训练",
        "lo": "ສົ່ງອອກປ້າຍກຳກັບຂອງຜູ້ຊ່ຽວຊານເພື່ອຝຶກໃໝ່",
    },
    "review.export_help": {
        "en": "Photos whose label an expert confirmed or corrected, with that label, grouped by "
              "case. Labelled folder: one folder per class (a zip to download, also kept on the "
              "server). CSV manifest: paths to the stored photos, for training on this computer.",
        "zh": "经专家确认或更正标签的照片，带有该标签，按案件分组。带标签的文件夹：每个类别一个"
              "文件夹（可下载 zip，服务器上也保留一份）。CSV 清单：指向已存储照片的路径，"
              "用于在本机上训练。",
        "lo": "ຮູບທີ່ຜູ້ຊ່ຽວຊານໄດ້ຢືນຢັນ ຫຼື ແກ້ໄຂປ້າຍກຳກັບແລ້ວ, ພ້ອມປ້າຍກຳກັບນັ້ນ, ຈັດກຸ່ມຕາມຄະດີ. "
              "ໂຟນເດີທີ່ມີປ້າຍກຳກັບ: ໜຶ່ງໂຟນເດີຕໍ່ປະເພດ (zip ສຳລັບດາວໂຫລດ, ເກັບໄວ້ໃນເຊີບເວີນຳ). "
              "ລາຍການ CSV: ທີ່ຢູ່ຂອງຮູບທີ່ເກັບໄວ້, ສຳລັບການຝຶກໃນຄອມພິວເຕີນີ້.",
    },
    "review.layout_folder": {
        "en": "Labelled folder (zip)", "zh": "带标签的文件夹（zip）",
        "lo": "ໂຟນເດີທີ່ມີປ້າຍກຳກັບ (zip)",
    },
    "review.layout_manifest": {"en": "CSV manifest", "zh": "CSV 清单", "lo": "ລາຍການ CSV"},
    "review.export": {"en": "Export", "zh": "导出", "lo": "ສົ່ງອອກ"},
    "review.downloads": {"en": "Downloads", "zh": "下载", "lo": "ດາວໂຫລດ"},
    "review.exported": {
        "en": "Exported {photos} labelled photos and {unknown} not-in-catalogue photos from "
              "{records} reviewed records to {folder}.",
        "zh": "已从 {records} 条已审核记录中导出 {photos} 张带标签的照片和 {unknown} 张不在目录中"
              "的照片到 {folder}。",
        "lo": "ສົ່ງອອກຮູບທີ່ມີປ້າຍກຳກັບ {photos} ຮູບ ແລະ ຮູບທີ່ບໍ່ມີໃນລາຍການ {unknown} ຮູບ "
              "ຈາກ {records} ລາຍການທີ່ກວດສອບແລ້ວ ໄປທີ່ {folder}.",
    },
    "review.conflicts": {
        "en": "{count} photos were left out: experts gave them different labels (see README.txt).",
        "zh": "有 {count} 张照片未导出：专家给出了不同的标签（见 README.txt）。",
        "lo": "ຮູບ {count} ຮູບ ບໍ່ໄດ້ສົ່ງອອກ: ຜູ້ຊ່ຽວຊານໃຫ້ປ້າຍກຳກັບຕ່າງກັນ (ເບິ່ງ README.txt).",
    },
    "review.conflicts_one": {
        "en": "{count} photo was left out: experts gave it different labels (see README.txt).",
        "zh": "有 {count} 张照片未导出：专家给出了不同的标签（见 README.txt）。",
        "lo": "ຮູບ {count} ຮູບ ບໍ່ໄດ້ສົ່ງອອກ: ຜູ້ຊ່ຽວຊານໃຫ້ປ້າຍກຳກັບຕ່າງກັນ (ເບິ່ງ README.txt).",
    },
    "review.report_title": {"en": "Case report", "zh": "案件报告", "lo": "ລາຍງານຄະດີ"},
    "review.report_case": {
        "en": "Case / seizure id", "zh": "案件 / 查获编号", "lo": "ເລກຄະດີ / ເລກການຍຶດ",
    },
    "review.report": {"en": "Make report", "zh": "生成报告", "lo": "ສ້າງລາຍງານ"},
    "review.report_ready": {
        "en": "Report of {count} records ready (printable HTML page and CSV; also kept in "
              "{folder}).",
        "zh": "包含 {count} 条记录的报告已生成（可打印的 HTML 页面和 CSV；也保存在 {folder}）。",
        "lo": "ລາຍງານຂອງ {count} ລາຍການພ້ອມແລ້ວ (ໜ້າ HTML ທີ່ພິມໄດ້ ແລະ CSV; ເກັບໄວ້ໃນ {folder} "
              "ນຳ).",
    },
    "review.report_ready_one": {
        "en": "Report of {count} record ready (printable HTML page and CSV; also kept in "
              "{folder}).",
        "zh": "包含 {count} 条记录的报告已生成（可打印的 HTML 页面和 CSV；也保存在 {folder}）。",
        "lo": "ລາຍງານຂອງ {count} ລາຍການພ້ອມແລ້ວ (ໜ້າ HTML ທີ່ພິມໄດ້ ແລະ CSV; ເກັບໄວ້ໃນ {folder} "
              "ນຳ).",
    },
    "reason_short.low_confidence": {"en": "not sure enough", "zh": "把握不够", "lo": "ບໍ່ແນ່ໃຈພໍ"},
    "reason_short.ambiguous": {
        "en": "several classes possible", "zh": "可能是多个类别",
        "lo": "ອາດເປັນຫຼາຍປະເພດ",
    },
    "reason_short.out_of_catalogue": {
        "en": "unlike every class", "zh": "不像任何类别",
        "lo": "ບໍ່ຄືປະເພດໃດ",
    },
    "reason_short.always_review_class": {
        "en": "class always reviewed", "zh": "始终审核的类别",
        "lo": "ປະເພດທີ່ກວດສະເໝີ",
    },
    "reason_short.insufficient_calibration": {
        "en": "too few calibration photos", "zh": "校准照片太少",
        "lo": "ຮູບປັບທຽບໜ້ອຍເກີນໄປ",
    },
    "reason_short.target_not_shown": {
        "en": "precision target not shown", "zh": "未证明精确率目标",
        "lo": "ບໍ່ສະແດງເປົ້າໝາຍຄວາມແມ່ນຍຳ",
    },
    "reason_short.unfamiliar": {"en": "unfamiliar photo", "zh": "陌生的照片", "lo": "ຮູບທີ່ບໍ່ຄຸ້ນເຄີຍ"},
    "reason_short.shift_suspected": {
        "en": "shift suspected", "zh": "疑似分布偏移",
        "lo": "ສົງໄສການປ່ຽນແປງ",
    },
    "reason_short.poor_image": {"en": "poor photo", "zh": "照片质量差", "lo": "ຮູບບໍ່ດີ"},
    "queue.record": {"en": "#", "zh": "#", "lo": "#"},
    "queue.saved": {"en": "Saved (UTC)", "zh": "保存时间（UTC）", "lo": "ເວລາບັນທຶກ (UTC)"},
    "queue.case": {"en": "Case · officer", "zh": "案件 · 执法人员", "lo": "ຄະດີ · ເຈົ້າໜ້າທີ່"},
    "queue.label": {"en": "Label", "zh": "标签", "lo": "ປ້າຍກຳກັບ"},
    "queue.reasons": {"en": "Reasons", "zh": "原因", "lo": "ເຫດຜົນ"},
    "history.time": {
        "en": "Time (UTC) · who", "zh": "时间（UTC）· 操作人", "lo": "ເວລາ (UTC) · ຜູ້ດຳເນີນການ",
    },
    "history.action": {"en": "Action", "zh": "操作", "lo": "ການດຳເນີນການ"},
    "history.change": {"en": "Label", "zh": "标签", "lo": "ປ້າຍກຳກັບ"},
    "history.status": {"en": "Status", "zh": "状态", "lo": "ສະຖານະ"},
    "history.comment": {"en": "Comment", "zh": "意见", "lo": "ຄຳເຫັນ"},
    "status.identified": {
        "en": "identified, no review needed", "zh": "已识别，无需审核",
        "lo": "ລະບຸໄດ້ແລ້ວ, ບໍ່ຕ້ອງກວດສອບ",
    },
    "status.pending_review": {
        "en": "waiting for an expert", "zh": "等待专家审核", "lo": "ລໍຖ້າຜູ້ຊ່ຽວຊານ",
    },
    "status.confirmed": {
        "en": "confirmed by an expert", "zh": "专家已确认", "lo": "ຜູ້ຊ່ຽວຊານຢືນຢັນແລ້ວ",
    },
    "status.corrected": {
        "en": "corrected by an expert", "zh": "专家已更正", "lo": "ຜູ້ຊ່ຽວຊານແກ້ໄຂແລ້ວ",
    },
    "action.created": {"en": "saved", "zh": "保存", "lo": "ບັນທຶກ"},
    "action.confirmed": {"en": "confirmed", "zh": "确认", "lo": "ຢືນຢັນ"},
    "action.corrected": {"en": "corrected", "zh": "更正", "lo": "ແກ້ໄຂ"},

    # -- case report ----------------------------------------------------------------------------
    "report.title": {"en": "Case report", "zh": "案件报告", "lo": "ລາຍງານຄະດີ"},
    "report.generated": {
        "en": "Generated {time} (UTC)", "zh": "生成于 {time}（UTC）", "lo": "ສ້າງເມື່ອ {time} (UTC)",
    },
    "report.record_count": {
        "en": "{count} records", "zh": "{count} 条记录", "lo": "{count} ລາຍການ",
    },
    "report.record_count_one": {
        "en": "{count} record",
        "zh": "{count} 条记录",
        "lo": "{count} ລາຍການ",
    },
    "report.integrity_ok": {
        "en": "Integrity check: the event log, and this case's records and photos, are intact.",
        "zh": "完整性检查：事件日志以及本案件的记录和照片均完好无损。",
        "lo": "ກວດສອບຄວາມຖືກຕ້ອງ: ບັນທຶກເຫດການ ພ້ອມທັງລາຍການ ແລະ ຮູບຂອງຄະດີນີ້ຍັງຄົບຖ້ວນ.",
    },
    "report.integrity_problems": {
        "en": "Integrity check: {count} problems found:",
        "zh": "完整性检查：发现 {count} 个问题：",
        "lo": "ກວດສອບຄວາມຖືກຕ້ອງ: ພົບ {count} ບັນຫາ:",
    },
    # Security (issue 24): the anchored chain head, a tampered store, a replayed session.
    "report.anchor": {
        "en": "Chain head: event {event}, {chain}; signed {time} by site key {key}: {signature}",
        "zh": "哈希链头：事件 {event}，{chain}；{time} 由站点密钥 {key} 签名：{signature}",
        "lo": "ຫົວຂອງລະບົບຕ່ອງໂສ້: ເຫດການ {event}, {chain}; ລົງລາຍເຊັນ {time} ດ້ວຍກະແຈ {key}: "
              "{signature}",
    },
    "report.anchor_unsigned": {
        "en": "Chain head: event {event}, {chain} (not signed: this site has no site key).",
        "zh": "哈希链头：事件 {event}，{chain}（未签名：本站点没有站点密钥）。",
        "lo": "ຫົວຂອງລະບົບຕ່ອງໂສ້: ເຫດການ {event}, {chain} (ບໍ່ໄດ້ລົງລາຍເຊັນ: ບ່ອນນີ້ບໍ່ມີກະແຈ).",
    },
    "review.tampered": {
        "en": "**Warning: the review store was altered outside the app** ({count} problems; the "
              "first: {first}). Tell your administrator (`wildlens verify-store`).",
        "zh": "**警告：审核记录库在应用之外被改动**（{count} 个问题；第一个：{first}）。"
              "请告知管理员（`wildlens verify-store`）。",
        "lo": "**ຄຳເຕືອນ: ຖານຂໍ້ມູນການກວດສອບຖືກປ່ຽນນອກແອັບ** ({count} ບັນຫາ; ທຳອິດ: "
              "{first}). ກະລຸນາແຈ້ງຜູ້ດູແລລະບົບ (`wildlens verify-store`).",
    },
    "error.other_session": {
        "en": "This page belongs to another sign-in: reload the page.",
        "zh": "此页面属于另一个登录：请重新加载页面。",
        "lo": "ໜ້ານີ້ເປັນຂອງການເຂົ້າລະບົບອື່ນ: ກະລຸນາໂຫລດໜ້າໃໝ່.",
    },
    "report.integrity_problems_one": {
        "en": "Integrity check: {count} problem found:",
        "zh": "完整性检查：发现 {count} 个问题：",
        "lo": "ກວດສອບຄວາມຖືກຕ້ອງ: ພົບ {count} ບັນຫາ:",
    },
    "report.no_records": {"en": "No records.", "zh": "没有记录。", "lo": "ບໍ່ມີລາຍການ."},
    "report.record": {"en": "Record #{id}", "zh": "记录 #{id}", "lo": "ລາຍການ #{id}"},
    "report.saved": {"en": "Saved (UTC)", "zh": "保存时间（UTC）", "lo": "ເວລາບັນທຶກ (UTC)"},
    "report.case": {"en": "Case", "zh": "案件", "lo": "ຄະດີ"},
    "report.officer": {"en": "Officer", "zh": "执法人员", "lo": "ເຈົ້າໜ້າທີ່"},
    "report.account": {"en": "Login", "zh": "登录账户", "lo": "ບັນຊີເຂົ້າລະບົບ"},
    "report.location": {"en": "Location", "zh": "地点", "lo": "ສະຖານທີ່"},
    "report.decision": {"en": "Model decision", "zh": "模型结论", "lo": "ການຕັດສິນຂອງໂມເດວ"},
    "report.predicted": {
        "en": "Model's top class", "zh": "模型最可能的类别", "lo": "ປະເພດທີ່ໂມເດວເລືອກ",
    },
    "report.reasons": {"en": "Reasons", "zh": "原因", "lo": "ເຫດຜົນ"},
    "report.shortlist": {"en": "Shortlist", "zh": "候选类别", "lo": "ລາຍຊື່ທາງເລືອກ"},
    "report.current_label": {"en": "Current label", "zh": "当前标签", "lo": "ປ້າຍກຳກັບປັດຈຸບັນ"},
    "report.model": {"en": "Model", "zh": "模型", "lo": "ໂມເດວ"},
    "report.code_version": {"en": "Software", "zh": "软件版本", "lo": "ເວີຊັນຊອບແວ"},
    "report.photos": {"en": "Photos", "zh": "照片", "lo": "ຮູບ"},
    "report.photo": {"en": "Photo {n}", "zh": "照片 {n}", "lo": "ຮູບທີ {n}"},
    "report.photo_unavailable": {
        "en": "Photo unavailable:", "zh": "照片不可用：", "lo": "ບໍ່ມີຮູບ:",
    },
    "report.history": {"en": "History", "zh": "历史", "lo": "ປະຫວັດ"},
    "report.time": {"en": "Time (UTC)", "zh": "时间（UTC）", "lo": "ເວລາ (UTC)"},
    "report.who": {"en": "Who", "zh": "操作人", "lo": "ຜູ້ດຳເນີນການ"},
    "report.action": {"en": "Action", "zh": "操作", "lo": "ການດຳເນີນການ"},
    "report.label_change": {"en": "Label", "zh": "标签", "lo": "ປ້າຍກຳກັບ"},
    "report.status": {"en": "Status", "zh": "状态", "lo": "ສະຖານະ"},
    "report.comment": {"en": "Comment", "zh": "意见", "lo": "ຄຳເຫັນ"},

    # -- batch ----------------------------------------------------------------------------------
    "batch.help": {
        "en": "Classify many photos at once: upload a zip of photos (folders inside are fine). "
              "Every photo gets one row in the CSV, with the same checks and decisions as the "
              "command-line tool (infer.py); unreadable files are listed with the reason.",
        "zh": "一次分类多张照片：上传照片的 zip 文件（里面可以有文件夹）。每张照片在 CSV 中占一行，"
              "检查和结论与命令行工具（infer.py）完全相同；无法读取的文件会列出原因。",
        "lo": "ຈັດປະເພດຮູບຫຼາຍຮູບພ້ອມກັນ: ອັບໂຫລດ zip ຂອງຮູບ (ມີໂຟນເດີຢູ່ໃນກໍໄດ້). "
              "ທຸກຮູບຈະມີໜຶ່ງແຖວໃນ CSV, ດ້ວຍການກວດ ແລະ ການຕັດສິນດຽວກັນກັບເຄື່ອງມືແຖວຄຳສັ່ງ (infer.py); "
              "ໄຟລ໌ທີ່ອ່ານບໍ່ໄດ້ຈະຖືກລະບຸພ້ອມເຫດຜົນ.",
    },
    "batch.archive": {"en": "Zip of photos", "zh": "照片 zip 文件", "lo": "zip ຂອງຮູບ"},
    "batch.run": {"en": "Classify all", "zh": "全部分类", "lo": "ຈັດປະເພດທັງໝົດ"},
    "batch.downloads": {"en": "CSV and summary", "zh": "CSV 和摘要", "lo": "CSV ແລະ ບົດສະຫຼຸບ"},
    "batch.preview": {"en": "First rows", "zh": "前几行", "lo": "ແຖວທຳອິດ"},
    "batch.done": {
        "en": "{count} files classified", "zh": "已处理 {count} 个文件",
        "lo": "ຈັດປະເພດ {count} ໄຟລ໌ແລ້ວ",
    },
    "batch.done_one": {
        "en": "{count} file classified",
        "zh": "已处理 {count} 个文件",
        "lo": "ຈັດປະເພດ {count} ໄຟລ໌ແລ້ວ",
    },
    "batch.ok": {"en": "classified", "zh": "已分类", "lo": "ຈັດປະເພດແລ້ວ"},
    "batch.failed": {"en": "could not be read", "zh": "无法读取", "lo": "ອ່ານບໍ່ໄດ້"},
    "batch.skipped": {
        "en": "skipped (not photos)", "zh": "已跳过（不是照片）", "lo": "ຂ້າມ (ບໍ່ແມ່ນຮູບ)",
    },
    "batch.decisions": {"en": "Decisions", "zh": "结论", "lo": "ການຕັດສິນ"},
    "batch.labels": {"en": "Top classes", "zh": "最可能的类别", "lo": "ປະເພດທີ່ເປັນໄປໄດ້ທີ່ສຸດ"},
    "batch.errors": {"en": "Errors", "zh": "错误", "lo": "ຂໍ້ຜິດພາດ"},
    "batch.kept": {
        "en": "Files kept on the server in {folder}.", "zh": "文件保存在服务器的 {folder} 中。",
        "lo": "ໄຟລ໌ເກັບໄວ້ໃນເຊີບເວີທີ່ {folder}.",
    },

    # -- workshop -------------------------------------------------------------------------------
    "workshop.help": {
        "en": "Train a model on your own labelled photos in a few minutes: a zip with one folder "
              "per class (folder names are class ids such as elephant_ivory or bone), or a "
              "dataset placed in the app's datasets folder. Training uses fast mode (the "
              "network's features and a new final layer). Then look at the results and try the "
              "model in the Identify tab.",
        "zh": "用您自己标注的照片在几分钟内训练一个模型：一个每个类别一个文件夹的 zip（文件夹名就是"
              "类别编号，例如 elephant_ivory 或 bone），或放在应用数据集文件夹中的数据集。训练使用"
              "快速模式（网络特征加一个新的最终层）。然后查看结果，并在“识别”标签页中试用该模型。",
        "lo": "ຝຶກໂມເດວດ້ວຍຮູບທີ່ມີປ້າຍກຳກັບຂອງທ່ານເອງພາຍໃນບໍ່ເທົ່າໃດນາທີ: zip ທີ່ມີໜຶ່ງໂຟນເດີຕໍ່ປະເພດ "
              "(ຊື່ໂຟນເດີແມ່ນລະຫັດປະເພດ ເຊັ່ນ elephant_ivory ຫຼື bone), ຫຼື ຊຸດຂໍ້ມູນທີ່ວາງໄວ້ໃນ"
              "ໂຟນເດີຊຸດຂໍ້ມູນຂອງແອັບ. ການຝຶກໃຊ້ໂໝດໄວ (ຄຸນລັກສະນະຂອງເຄືອຂ່າຍ ແລະ ຊັ້ນສຸດທ້າຍໃໝ່). "
              "ຈາກນັ້ນເບິ່ງຜົນ ແລະ ທົດລອງໂມເດວໃນແຖບ ລະບຸ.",
    },
    "workshop.archive": {
        "en": "Zip of class folders", "zh": "按类别分文件夹的 zip", "lo": "zip ຂອງໂຟນເດີແຍກຕາມປະເພດ",
    },
    "workshop.dataset": {
        "en": "... or a dataset on this computer", "zh": "……或本机上的数据集",
        "lo": "... ຫຼື ຊຸດຂໍ້ມູນໃນຄອມພິວເຕີນີ້",
    },
    "workshop.dataset_info": {
        "en": "Folders and zip files in the app's datasets folder",
        "zh": "应用数据集文件夹中的文件夹和 zip 文件",
        "lo": "ໂຟນເດີ ແລະ ໄຟລ໌ zip ໃນໂຟນເດີຊຸດຂໍ້ມູນຂອງແອັບ",
    },
    "workshop.refresh": {"en": "Refresh list", "zh": "刷新列表", "lo": "ໂຫລດລາຍການໃໝ່"},
    "workshop.name": {"en": "Model name", "zh": "模型名称", "lo": "ຊື່ໂມເດວ"},
    "workshop.use_now": {
        "en": "Use the new model for everyone as soon as it is trained",
        "zh": "训练完成后立即让所有人使用新模型",
        "lo": "ໃຫ້ທຸກຄົນໃຊ້ໂມເດວໃໝ່ທັນທີທີ່ຝຶກສຳເລັດ",
    },
    "workshop.train": {"en": "Train", "zh": "训练", "lo": "ຝຶກ"},
    "workshop.stage": {"en": "Training: {stage}", "zh": "训练中：{stage}", "lo": "ກຳລັງຝຶກ: {stage}"},
    "workshop.per_class": {
        "en": "Per class (held-out photos)", "zh": "各类别结果（留出的照片）",
        "lo": "ແຕ່ລະປະເພດ (ຮູບທີ່ເກັບໄວ້ທົດສອບ)",
    },
    "workshop.confusion": {
        "en": "Confusion matrix (rows: true class, columns: predicted)",
        "zh": "混淆矩阵（行：真实类别，列：预测类别）",
        "lo": "ຕາຕະລາງຄວາມສັບສົນ (ແຖວ: ປະເພດແທ້, ຖັນ: ປະເພດທີ່ຄາດຄະເນ)",
    },
    "workshop.true_predicted": {
        "en": "true \\ predicted", "zh": "真实 \\ 预测", "lo": "ແທ້ \\ ຄາດຄະເນ",
    },
    "workshop.mistakes": {
        "en": "Mistakes (most confident first)", "zh": "错误（置信度最高的在前）",
        "lo": "ຄວາມຜິດພາດ (ໝັ້ນໃຈຫຼາຍທີ່ສຸດກ່ອນ)",
    },
    "workshop.sheet": {
        "en": "Most confident mistakes", "zh": "置信度最高的错误", "lo": "ຄວາມຜິດພາດທີ່ໝັ້ນໃຈທີ່ສຸດ",
    },
    "workshop.models_help": {
        "en": "### Models\nThe model in use answers every identification, for everyone using "
              "this app; every saved record names the model that made it.",
        "zh": "### 模型\n当前使用的模型为本应用的所有用户回答每一次识别；每条保存的记录都注明了"
              "给出结果的模型。",
        "lo": "### ໂມເດວ\nໂມເດວທີ່ກຳລັງໃຊ້ຈະຕອບທຸກການລະບຸ ສຳລັບທຸກຄົນທີ່ໃຊ້ແອັບນີ້; "
              "ທຸກບັນທຶກຈະລະບຸໂມເດວທີ່ສ້າງມັນ.",
    },
    "workshop.models": {"en": "Models", "zh": "模型", "lo": "ໂມເດວ"},
    "workshop.use": {"en": "Use this model", "zh": "使用此模型", "lo": "ໃຊ້ໂມເດວນີ້"},
    "workshop.switched": {
        "en": "Now using {name}.", "zh": "现在使用 {name}。", "lo": "ຕອນນີ້ກຳລັງໃຊ້ {name}.",
    },
    "workshop.startup_model": {"en": "started with", "zh": "启动时的模型", "lo": "ໂມເດວເລີ່ມຕົ້ນ"},
    "workshop.trained": {
        "en": "Trained {name} ({version}) on {photos} photos of {classes} classes in {seconds} s",
        "zh": "已用 {classes} 个类别的 {photos} 张照片训练 {name}（{version}），用时 {seconds} 秒",
        "lo": "ຝຶກ {name} ({version}) ດ້ວຍຮູບ {photos} ຮູບ ຂອງ {classes} ປະເພດ ໃນ {seconds} ວິນາທີ",
    },
    "workshop.scores": {
        "en": "On {photos} held-out photos: accuracy {accuracy}, macro-F1 {macro_f1}.",
        "zh": "在 {photos} 张留出的照片上：准确率 {accuracy}，宏平均 F1 {macro_f1}。",
        "lo": "ໃນຮູບທີ່ເກັບໄວ້ທົດສອບ {photos} ຮູບ: ຄວາມຖືກຕ້ອງ {accuracy}, macro-F1 {macro_f1}.",
    },
    "workshop.scores_cross": {
        "en": "On its {photos} photos, each judged by a model that never saw it "
              "(cross-validated): accuracy {accuracy}, macro-F1 {macro_f1}.",
        "zh": "在它的 {photos} 张照片上（每张都由没见过它的模型判断，即交叉验证）：准确率 "
              "{accuracy}，宏平均 F1 {macro_f1}。",
        "lo": "ໃນຮູບ {photos} ຮູບຂອງມັນ (ແຕ່ລະຮູບຖືກຕັດສິນໂດຍໂມເດວທີ່ບໍ່ເຄີຍເຫັນຮູບນັ້ນ): "
              "ຄວາມຖືກຕ້ອງ {accuracy}, macro-F1 {macro_f1}.",
    },
    "workshop.auto_accepted": {
        "en": "{value} of these photos would be answered automatically (right {precision} of "
              "the time); the rest go to an expert.",
        "zh": "这些照片中有 {value} 会自动给出答案（正确率 {precision}）；其余交由专家审核。",
        "lo": "{value} ຂອງຮູບເຫຼົ່ານີ້ຈະຖືກຕອບອັດຕະໂນມັດ (ຖືກຕ້ອງ {precision}); ສ່ວນທີ່ເຫຼືອສົ່ງໃຫ້"
              "ຜູ້ຊ່ຽວຊານ.",
    },
    "result.stopped_unknown": {
        "en": "Photo {photos} alone looks like nothing in the catalogue, so the whole item is "
              "treated as unknown.",
        "zh": "仅第 {photos} 张照片就不像目录中的任何物品，因此整件物品按未知处理。",
        "lo": "ຮູບທີ {photos} ຢ່າງດຽວບໍ່ຄ້າຍກັບສິ່ງໃດໃນລາຍການ, ສະນັ້ນທັງສິ່ງຂອງຖືວ່າບໍ່ຮູ້ຈັກ.",
    },
    "result.stopped_unfamiliar": {
        "en": "Photo {photos} looks unlike the photos this model learned from, so no automatic "
              "answer is given for the item.",
        "zh": "第 {photos} 张照片与该模型学习过的照片不同，因此不对这件物品自动给出答案。",
        "lo": "ຮູບທີ {photos} ບໍ່ຄ້າຍກັບຮູບທີ່ໂມເດວນີ້ຮຽນມາ, ສະນັ້ນບໍ່ມີຄຳຕອບອັດຕະໂນມັດສຳລັບສິ່ງຂອງນີ້.",
    },
    "workshop.auto_accepted_fitted": {
        "en": "On these same photos, which its thresholds were fitted on, {value} were answered "
              "automatically (right {precision} of the time); the rest went to an expert. New "
              "photos are not the photos it was fitted on, and can differ.",
        "zh": "在这些照片上（阈值正是据此拟合的），有 {value} 自动给出了答案（正确率 "
              "{precision}）；其余交由专家审核。新照片不是拟合所用的照片，结果可能不同。",
        "lo": "ໃນຮູບເຫຼົ່ານີ້ (ທີ່ໃຊ້ປັບເກນຂອງມັນ), {value} ຖືກຕອບອັດຕະໂນມັດ (ຖືກຕ້ອງ "
              "{precision}); ສ່ວນທີ່ເຫຼືອສົ່ງໃຫ້ຜູ້ຊ່ຽວຊານ. ຮູບໃໝ່ບໍ່ແມ່ນຮູບທີ່ໃຊ້ປັບ, "
              "ຜົນອາດແຕກຕ່າງ.",
    },
    "workshop.guarantee_approximate": {
        "en": "Guarantee (approximate, as the thresholds were fitted on the training photos "
              "themselves, out of fold): with probability about {confidence}, automatic answers "
              "are right at least {target} of the time, for photos like these.",
        "zh": "保证（近似：阈值是在训练照片本身上以交叉拟合方式确定的）：对于与这些照片相似的照片，"
              "自动答案至少有 {target} 正确的概率约为 {confidence}。",
        "lo": "ການຮັບປະກັນ (ໂດຍປະມານ, ເພາະເກນຖືກປັບໃສ່ຮູບຝຶກເອງ ແບບນອກພັບ): ສຳລັບຮູບທີ່ຄ້າຍກັບ"
              "ຮູບເຫຼົ່ານີ້, ຄຳຕອບອັດຕະໂນມັດຖືກຕ້ອງຢ່າງໜ້ອຍ {target} ດ້ວຍຄວາມເປັນໄປໄດ້ປະມານ "
              "{confidence}.",
    },
    "workshop.none_automatic": {
        "en": "None of these photos would be answered automatically: this model sends every item "
              "to an expert.",
        "zh": "这些照片都不会自动给出答案：该模型把每件物品都交由专家审核。",
        "lo": "ບໍ່ມີຮູບໃດໃນນີ້ຈະຖືກຕອບອັດຕະໂນມັດ: ໂມເດວນີ້ສົ່ງທຸກສິ່ງຂອງໃຫ້ຜູ້ຊ່ຽວຊານ.",
    },
    "workshop.guarantee": {
        "en": "Guarantee: with probability {confidence}, automatic answers are right at least "
              "{target} of the time, for photos like these.",
        "zh": "保证：对于与这些照片相似的照片，自动答案至少有 {target} 正确的概率为 {confidence}。",
        "lo": "ການຮັບປະກັນ: ສຳລັບຮູບທີ່ຄ້າຍກັບຮູບເຫຼົ່ານີ້, ຄຳຕອບອັດຕະໂນມັດຖືກຕ້ອງຢ່າງໜ້ອຍ "
              "{target} ດ້ວຍຄວາມເປັນໄປໄດ້ {confidence}.",
    },
    "workshop.lookalike_line": {
        "en": "{name}: answered automatically only when surer than any of its look-alikes' "
              "{count} photos was as {name}, so a look-alike is not taken for it; more photos "
              "of its look-alikes let more answers through.",
        "zh": "{name}：只有当把握超过其 {count} 张易混淆物照片被认作{name}时的把握，"
              "才会自动给出答案，以免把易混淆物当成它；增加易混淆物的照片可让更多答案自动给出。",
        "lo": "{name}: ຈະຕອບອັດຕະໂນມັດສະເພາະເມື່ອໝັ້ນໃຈກວ່າຮູບ {count} ຮູບຂອງສິ່ງທີ່ຄ້າຍຄືກັນ "
              "ເຄີຍຖືກເຂົ້າໃຈວ່າເປັນ {name}, ເພື່ອບໍ່ໃຫ້ສັບສົນ; ເພີ່ມຮູບຂອງສິ່ງທີ່ຄ້າຍຄືກັນ "
              "ຈະໃຫ້ຕອບອັດຕະໂນມັດໄດ້ຫຼາຍຂຶ້ນ.",
    },
    "workshop.lookalike_line_one": {
        "en": "{name}: answered automatically only when surer than its look-alikes' {count} "
              "photo was as {name}, so a look-alike is not taken for it; more photos of its "
              "look-alikes let more answers through.",
        "zh": "{name}：只有当把握超过其 {count} 张易混淆物照片被认作{name}时的把握，"
              "才会自动给出答案，以免把易混淆物当成它；增加易混淆物的照片可让更多答案自动给出。",
        "lo": "{name}: ຈະຕອບອັດຕະໂນມັດສະເພາະເມື່ອໝັ້ນໃຈກວ່າຮູບ {count} ຮູບຂອງສິ່ງທີ່ຄ້າຍຄືກັນ "
              "ເຄີຍຖືກເຂົ້າໃຈວ່າເປັນ {name}, ເພື່ອບໍ່ໃຫ້ສັບສົນ; ເພີ່ມຮູບຂອງສິ່ງທີ່ຄ້າຍຄືກັນ "
              "ຈະໃຫ້ຕອບອັດຕະໂນມັດໄດ້ຫຼາຍຂຶ້ນ.",
    },
    "workshop.photos_needed": {
        "en": "{name}: every answer goes to an expert; about {count} more photos would let it be "
              "answered automatically.",
        "zh": "{name}：每个答案都交由专家审核；再增加约 {count} 张照片即可自动给出答案。",
        "lo": "{name}: ທຸກຄຳຕອບສົ່ງໃຫ້ຜູ້ຊ່ຽວຊານ; ເພີ່ມຮູບປະມານ {count} ຮູບ "
              "ຈະສາມາດຕອບອັດຕະໂນມັດໄດ້.",
    },
    "workshop.photos_needed_one": {
        "en": "{name}: every answer goes to an expert; about {count} more photo would let it be "
              "answered automatically.",
        "zh": "{name}：每个答案都交由专家审核；再增加约 {count} 张照片即可自动给出答案。",
        "lo": "{name}: ທຸກຄຳຕອບສົ່ງໃຫ້ຜູ້ຊ່ຽວຊານ; ເພີ່ມຮູບປະມານ {count} ຮູບ "
              "ຈະສາມາດຕອບອັດຕະໂນມັດໄດ້.",
    },
    "workshop.never_automatic": {
        "en": "{name}: every answer goes to an expert; its confident mistakes are too many for "
              "more photos alone to help: check its labels and look-alikes.",
        "zh": "{name}：每个答案都交由专家审核；高置信度的错误太多，仅增加照片无济于事：请检查标注"
              "和相似类别。",
        "lo": "{name}: ທຸກຄຳຕອບສົ່ງໃຫ້ຜູ້ຊ່ຽວຊານ; ຄວາມຜິດພາດທີ່ໝັ້ນໃຈມີຫຼາຍເກີນໄປ ການເພີ່ມຮູບຢ່າງດຽວ"
              "ບໍ່ຊ່ວຍ: ກະລຸນາກວດປ້າຍ ແລະ ປະເພດທີ່ຄ້າຍກັນ.",
    },
    "workshop.few_classes": {
        "en": "With {classes} classes, an item of another kind that looks like one of them is "
              "answered as it: add the look-alikes officers will meet as classes of their own.",
        "zh": "只有 {classes} 个类别时，外观相似的其他物品会被判为其中之一："
              "请把执法人员会遇到的相似物品作为单独的类别加入。",
        "lo": "ມີພຽງ {classes} ປະເພດ, ສິ່ງຂອງປະເພດອື່ນທີ່ຄ້າຍກັບປະເພດໃດໜຶ່ງ ຈະຖືກຕອບວ່າເປັນປະເພດນັ້ນ: "
              "ກະລຸນາເພີ່ມສິ່ງທີ່ຄ້າຍກັນທີ່ເຈົ້າໜ້າທີ່ຈະພົບ ເປັນປະເພດຂອງມັນເອງ.",
    },
    "workshop.folder": {
        "en": "Saved in {folder}.", "zh": "保存在 {folder}。", "lo": "ບັນທຶກໄວ້ທີ່ {folder}.",
    },
    "workshop.col_class": {"en": "Class", "zh": "类别", "lo": "ປະເພດ"},
    "workshop.col_photos": {"en": "Photos", "zh": "照片数", "lo": "ຈຳນວນຮູບ"},
    "workshop.col_accuracy": {"en": "Accuracy", "zh": "准确率", "lo": "ຄວາມຖືກຕ້ອງ"},
    "workshop.col_precision": {"en": "Precision", "zh": "精确率", "lo": "ຄວາມແມ່ນຍຳ"},
    "workshop.col_routing": {"en": "Routing", "zh": "处理方式", "lo": "ວິທີຈັດການ"},
    "workshop.col_photo": {"en": "Photo", "zh": "照片", "lo": "ຮູບ"},
    "workshop.col_true": {"en": "True class", "zh": "真实类别", "lo": "ປະເພດແທ້"},
    "workshop.col_predicted": {"en": "Predicted", "zh": "预测类别", "lo": "ປະເພດທີ່ຄາດຄະເນ"},
    "workshop.col_conf": {"en": "Confidence", "zh": "置信度", "lo": "ຄວາມໝັ້ນໃຈ"},
    "routing.auto": {
        "en": "automatic answers allowed", "zh": "允许自动给出答案", "lo": "ອະນຸຍາດໃຫ້ຕອບອັດຕະໂນມັດ",
    },
    "routing.always_review": {
        "en": "always reviewed", "zh": "始终审核", "lo": "ກວດສອບສະເໝີ",
    },
    "routing.target_not_shown": {
        "en": "too many confident mistakes: always reviewed",
        "zh": "高置信度错误太多：始终审核",
        "lo": "ຄວາມຜິດພາດທີ່ໝັ້ນໃຈຫຼາຍເກີນໄປ: ກວດສອບສະເໝີ",
    },
    "routing.insufficient_calibration": {
        "en": "too few calibration photos: always reviewed",
        "zh": "校准照片太少：始终审核",
        "lo": "ຮູບສຳລັບປັບທຽບໜ້ອຍເກີນໄປ: ກວດສອບສະເໝີ",
    },

    # -- Gradio's own words (wildlens.ui.client translates them in the browser) ----------------
    "gradio.drop_file": {"en": "Drop File Here", "zh": "将文件拖放到此处", "lo": "ວາງໄຟລ໌ໃສ່ບ່ອນນີ້"},
    "gradio.or": {"en": "- or -", "zh": "- 或 -", "lo": "- ຫຼື -"},
    "gradio.click_to_upload": {
        "en": "Click to Upload", "zh": "点击上传", "lo": "ກົດເພື່ອອັບໂຫລດ",
    },
    "gradio.uploading": {"en": "Uploading...", "zh": "正在上传……", "lo": "ກຳລັງອັບໂຫລດ..."},
    "gradio.error": {"en": "Error", "zh": "错误", "lo": "ຂໍ້ຜິດພາດ"},
    "gradio.complete": {"en": "Done", "zh": "完成", "lo": "ສຳເລັດ"},
    "gradio.upload": {"en": "Upload", "zh": "上传", "lo": "ອັບໂຫລດ"},
    "gradio.loading": {"en": "Loading", "zh": "加载中", "lo": "ກຳລັງໂຫລດ"},
    "gradio.clear": {"en": "Clear", "zh": "清除", "lo": "ລຶບລ້າງ"},
    "gradio.upload_area": {
        "en": "Click to upload or drop files", "zh": "点击上传或拖放文件",
        "lo": "ກົດເພື່ອອັບໂຫລດ ຫຼື ວາງໄຟລ໌",
    },
    "gradio.file_upload": {"en": "File upload", "zh": "上传文件", "lo": "ອັບໂຫລດໄຟລ໌"},
    "gradio.remove_file": {
        "en": "Remove this file", "zh": "移除此文件", "lo": "ເອົາໄຟລ໌ນີ້ອອກ",
    },
    "gradio.download_all": {"en": "Download All", "zh": "全部下载", "lo": "ດາວໂຫລດທັງໝົດ"},
    "gradio.download": {"en": "Download", "zh": "下载", "lo": "ດາວໂຫລດ"},
    "gradio.fullscreen": {"en": "Fullscreen", "zh": "全屏", "lo": "ເຕັມຈໍ"},
    "gradio.exit_fullscreen": {
        "en": "Exit fullscreen mode", "zh": "退出全屏", "lo": "ອອກຈາກໂໝດເຕັມຈໍ",
    },
    "gradio.copy_table": {
        "en": "Copy table data", "zh": "复制表格数据", "lo": "ສຳເນົາຂໍ້ມູນຕາຕະລາງ",
    },
    "gradio.table_actions": {"en": "Table actions", "zh": "表格操作", "lo": "ຄຳສັ່ງຕາຕະລາງ"},
    "gradio.cell_menu": {"en": "Open cell menu", "zh": "打开单元格菜单", "lo": "ເປີດເມນູຊ່ອງ"},
    "gradio.empty_value": {"en": "Empty value", "zh": "空值", "lo": "ຄ່າຫວ່າງ"},
    "gradio.more_tabs": {"en": "More tabs", "zh": "更多标签页", "lo": "ແຖບອື່ນໆ"},
    "gradio.close": {"en": "Close", "zh": "关闭", "lo": "ປິດ"},
    "gradio.use_via_api": {"en": "Use via API", "zh": "通过 API 使用", "lo": "ໃຊ້ຜ່ານ API"},
    "gradio.file_too_large": {
        "en": "The file is larger than the upload limit of {size}: {files}. Use a smaller photo "
              "(the camera's normal resolution).",
        "zh": "文件超过上传上限 {size}：{files}。请使用较小的照片（相机的常规分辨率）。",
        "lo": "ໄຟລ໌ໃຫຍ່ກວ່າຂີດຈຳກັດການອັບໂຫລດ {size}: {files}. ກະລຸນາໃຊ້ຮູບທີ່ນ້ອຍກວ່າ "
              "(ຄວາມລະອຽດປົກກະຕິຂອງກ້ອງ).",
    },
    "gradio.thumbnail": {
        "en": "Thumbnail {n} of {count}", "zh": "缩略图 {n}/{count}", "lo": "ຮູບຫຍໍ້ {n} ຈາກ {count}",
    },
}
# fmt: on
