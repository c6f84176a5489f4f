// Labels in English and Chinese; the choice is kept in localStorage.
const LABELS = {
  en: {
    title: "Skyloop mission control", logout: "Log out", lang: "中文",
    legend_available: "available", legend_unavailable: "unavailable",
    legend_uncovered: "outside 5 min", legend_keepout: "keep-out",
    hint_launch: "Click the map to launch a drone to that point",
    tab_alerts: "Alerts", tab_missions: "Missions", tab_leads: "Leads", tab_docks: "Docks",
    login_title: "Sign in to mission control", login_token: "API token", login_button: "Sign in",
    login_bad: "Token refused", cancel: "Cancel", confirm: "Confirm",
    link_lost: "Link to mission control lost — reconnecting…",
    link_back: "Link restored",
    covered: "covered", worst: "worst response", never: "never reached",
    guarantee_ok: "5-minute promise holds", guarantee_broken: "5-minute promise broken",
    no_alerts: "No alerts waiting for approval", no_missions: "No active missions",
    no_leads: "No leads", approve: "Approve", reject: "Reject",
    launch_title: "Launch a drone here?", launch_point: "Point", launch_dock: "Dock the planner chooses",
    launch_distance: "straight-line distance", launched: "Mission launched",
    preview_failed: "no preview", preview_none: "nothing can go there now", preview_airborne: "airborne, re-tasked",
    preview_promise: "5-minute promise", preview_promise_ok: "met", preview_promise_broken: "not met",
    preview_wind: "Wind", preview_rejected: "Not chosen",
    live_view: "Live view", live_rgb: "RGB", live_thermal: "Thermal", live_camera: "Camera",
    live_connecting: "connecting to the drone's camera…", live_ended: "live view ended",
    abort: "Abort", return: "Return", hold: "Hold", speak: "Speak", speak_prompt: "Message for the loudspeaker",
    abort_reason: "Reason for aborting", sent: "Sent", failed: "Failed",
    dock: "Dock", drone: "Drone", eta: "ETA", state: "State", battery: "Battery", wind: "Wind",
    rain: "Rain", temp: "Temp", available: "available", unavailable: "unavailable",
    timeline: "Timeline", reasons: "Dispatch reasons", rejected_docks: "Rejected docks",
    confidence: "confidence", position: "position", status: "status", class: "class",
    pending: "pending", priority: "priority", source: "source", promise_breached: "5-min promise breached",
    viewer_note: "Read-only: your role cannot launch or command",
    in_keepout: "This point is inside a keep-out zone",
    goto: "Go to…", goto_hint: "Click the map: the new point for mission",
  },
  zh: {
    title: "Skyloop 指挥中心", logout: "退出", lang: "English",
    legend_available: "可起飞", legend_unavailable: "不可用",
    legend_uncovered: "5分钟外", legend_keepout: "禁飞区",
    hint_launch: "点击地图，派无人机飞往该点",
    tab_alerts: "告警", tab_missions: "任务", tab_leads: "线索", tab_docks: "机场",
    login_title: "登录指挥中心", login_token: "API 令牌", login_button: "登录",
    login_bad: "令牌无效", cancel: "取消", confirm: "确认",
    link_lost: "与指挥中心的连接已断开，正在重连…",
    link_back: "连接已恢复",
    covered: "覆盖", worst: "最长响应", never: "无法到达",
    guarantee_ok: "5分钟承诺达成", guarantee_broken: "5分钟承诺未达成",
    no_alerts: "没有待审批的告警", no_missions: "没有进行中的任务",
    no_leads: "没有线索", approve: "批准", reject: "驳回",
    launch_title: "派无人机飞往此处？", launch_point: "位置", launch_dock: "调度选择的机场",
    launch_distance: "直线距离", launched: "任务已下达",
    preview_failed: "无法预估", preview_none: "目前无机可派", preview_airborne: "空中改派",
    preview_promise: "5分钟承诺", preview_promise_ok: "达成", preview_promise_broken: "未达成",
    preview_wind: "风速", preview_rejected: "未选择",
    live_view: "实时画面", live_rgb: "可见光", live_thermal: "红外", live_camera: "相机",
    live_connecting: "正在连接无人机相机…", live_ended: "实时画面已结束",
    abort: "中止", return: "返航", hold: "悬停", speak: "喊话", speak_prompt: "喊话内容",
    abort_reason: "中止原因", sent: "已发送", failed: "失败",
    dock: "机场", drone: "无人机", eta: "预计到达", state: "状态", battery: "电量", wind: "风速",
    rain: "降雨", temp: "温度", available: "可用", unavailable: "不可用",
    timeline: "时间线", reasons: "调度理由", rejected_docks: "未选机场",
    confidence: "置信度", position: "位置", status: "状态", class: "类别",
    pending: "待处理", priority: "优先级", source: "来源", promise_breached: "超出5分钟承诺",
    viewer_note: "只读：当前角色不能起飞或下达指令",
    in_keepout: "该点位于禁飞区内",
    goto: "飞往…", goto_hint: "点击地图，设定新目标点，任务",
  },
};

let lang = localStorage.getItem("skyloop.lang") === "zh" ? "zh" : "en";

// Names the API spells in snake_case (mission states, alert types, statuses, dock activities)
const VALUES_ZH = {
  requested: "已请求", planned: "已规划", launching: "起飞中", en_route: "飞行中", on_scene: "抵达现场",
  supervising: "监视中", returning: "返航中", landed: "已降落", closed: "已关闭", aborted: "已中止", failed: "失败",
  fire_smoke: "烟火", crowd: "人员聚集", person_near_water: "人员近水", street_vendor: "占道经营",
  road_occupation: "道路占用", manual: "人工派遣", other: "其他",
  pending_approval: "待审批", approved: "已批准", rejected: "已驳回", new: "新", pending_review: "待审核",
  delivered: "已推送", accepted: "已受理", dispatched: "已派单", resolved: "已处置", verified: "已核验",
  idle: "空闲", preparing: "准备中", working: "作业中", charging: "充电中", maintenance: "维护", fault: "故障",
  unknown: "未知", open: "待处理", responding: "响应中", reported: "已上报",
  person: "人员", fire: "火", smoke: "烟", vehicle: "车辆",
};

export function t(key) {
  return LABELS[lang][key] ?? LABELS.en[key] ?? key;
}

// a value from the API (state, type, status) in the current language; English keeps it as is
export function tv(value) {
  if (value === null || value === undefined) return "–";
  return lang === "zh" ? VALUES_ZH[value] ?? value : value.replaceAll("_", " ");
}

export function currentLang() {
  return lang;
}

export function setLang(next) {
  lang = next === "zh" ? "zh" : "en";
  localStorage.setItem("skyloop.lang", lang);
  applyLabels();
}

export function applyLabels(root = document) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  const button = document.getElementById("lang");
  if (button) button.textContent = t("lang");
}
