// Labels in English and Chinese; the choice is kept in localStorage.
const LABELS = {
  en: {
    title: "Skyloop mission control", logout: "Log out", lang: "中文",
    legend_available: "available", legend_unavailable: "unavailable",
    legend_uncovered: "outside 5 min", legend_keepout: "keep-out",
    map_fit: "Whole district", map_zoom_in: "Zoom in", map_zoom_out: "Zoom out",
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
    wind_from: "from", wind_direction_unknown: "direction unknown (worst case)",
    live_view: "Live view", live_rgb: "RGB", live_thermal: "Thermal", live_camera: "Camera",
    live_connecting: "connecting to the drone's camera…", live_ended: "live view ended",
    abort: "Abort", return: "Return", hold: "Hold", speak: "Speak", speak_prompt: "Message for the loudspeaker",
    abort_reason: "Reason for aborting", sent: "Sent", failed: "Failed",
    dock: "Dock", drone: "Drone", eta: "ETA", state: "State", battery: "Battery", wind: "Wind",
    rain: "Rain", temp: "Temp", available: "available", unavailable: "unavailable",
    timeline: "Timeline", reasons: "Dispatch reasons", rejected_docks: "Rejected docks", legs: "legs",
    confidence: "confidence", position: "position", status: "status", class: "class",
    pending: "pending", priority: "priority", source: "source", promise_breached: "5-min promise breached",
    viewer_note: "Read-only: your role cannot launch or command",
    in_keepout: "This point is inside a keep-out zone",
    goto: "Go to…", goto_hint: "Click the map: the new point for mission",
    tab_incidents: "Incidents", tab_admin: "Admin", no_incidents: "No open incidents",
    closed_at: "closed", alert_joined: "alert joined", alerts_joined: "alerts joined",
    speak_stored: "Stored messages, played in", speak_no_stored: "no stored messages", speak_own: "Own text:",
    live_fps: "fps", live_last_frame: "last frame", live_ago: "ago", live_tentative: "tentative",
    live_no_frames: "No picture", live_on_ground: "the drone is on the ground (pictures come once it flies)",
    live_drone_offline: "the drone is offline (no telemetry)", live_payload_silent: "the drone flies but its payload sends nothing",
    refresh: "Refresh", outbox: "Outbox to the grid platform", outbox_dead: "dead", outbox_empty: "No messages",
    all: "All", created: "Created", topic: "Topic", attempts: "Attempts", last_error: "Last error", lead: "lead",
    retry: "Retry", tokens: "API tokens", token_name: "Name", role: "Role", token_issue: "Issue token",
    token_once: "New token — shown only this once, copy it now", copy: "Copy", copied: "Copied",
    copy_manually: "Selected: press Ctrl+C to copy", token_issued: "Token issued", token_yours: "yours",
    revoked: "revoked", active: "active", revoke: "Revoke", revoke_note: "It stops working at once.",
    audit: "Audit log", newest_first: "newest first", time: "Time", actor: "Who", action: "Action",
    target: "Target", details: "Details", status_col: "Status", loading: "loading…",
  },
  zh: {
    title: "Skyloop 指挥中心", logout: "退出", lang: "English",
    legend_available: "可起飞", legend_unavailable: "不可用",
    legend_uncovered: "5分钟外", legend_keepout: "禁飞区",
    map_fit: "全区", map_zoom_in: "放大", map_zoom_out: "缩小",
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
    wind_from: "风向", wind_direction_unknown: "风向未知（按最不利情况）",
    live_view: "实时画面", live_rgb: "可见光", live_thermal: "红外", live_camera: "相机",
    live_connecting: "正在连接无人机相机…", live_ended: "实时画面已结束",
    abort: "中止", return: "返航", hold: "悬停", speak: "喊话", speak_prompt: "喊话内容",
    abort_reason: "中止原因", sent: "已发送", failed: "失败",
    dock: "机场", drone: "无人机", eta: "预计到达", state: "状态", battery: "电量", wind: "风速",
    rain: "降雨", temp: "温度", available: "可用", unavailable: "不可用",
    timeline: "时间线", reasons: "调度理由", rejected_docks: "未选机场", legs: "段",
    confidence: "置信度", position: "位置", status: "状态", class: "类别",
    pending: "待处理", priority: "优先级", source: "来源", promise_breached: "超出5分钟承诺",
    viewer_note: "只读：当前角色不能起飞或下达指令",
    in_keepout: "该点位于禁飞区内",
    goto: "飞往…", goto_hint: "点击地图，设定新目标点，任务",
    tab_incidents: "事件", tab_admin: "管理", no_incidents: "没有未结事件",
    closed_at: "关闭于", alert_joined: "条告警并入", alerts_joined: "条告警并入",
    speak_stored: "预置喊话，播放语言", speak_no_stored: "没有预置喊话", speak_own: "自定义内容：",
    live_fps: "帧/秒", live_last_frame: "最新一帧", live_ago: "前", live_tentative: "待确认",
    live_no_frames: "无画面", live_on_ground: "无人机在地面（起飞后才有画面）",
    live_drone_offline: "无人机离线（无遥测）", live_payload_silent: "无人机在飞行，但载荷没有发送画面",
    refresh: "刷新", outbox: "推送网格平台的消息", outbox_dead: "已放弃", outbox_empty: "没有消息",
    all: "全部", created: "创建时间", topic: "主题", attempts: "尝试次数", last_error: "最近错误", lead: "线索",
    retry: "重试", tokens: "API 令牌", token_name: "名称", role: "角色", token_issue: "签发令牌",
    token_once: "新令牌只显示这一次，请立即复制", copy: "复制", copied: "已复制",
    copy_manually: "已选中，按 Ctrl+C 复制", token_issued: "令牌已签发", token_yours: "当前使用",
    revoked: "已吊销", active: "有效", revoke: "吊销", revoke_note: "吊销后立即失效。",
    audit: "审计日志", newest_first: "最新在前", time: "时间", actor: "操作人", action: "操作",
    target: "对象", details: "详情", status_col: "状态", loading: "加载中…",
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
  pending: "待推送", dead: "已放弃", viewer: "查看员", dispatcher: "调度员", admin: "管理员",
  route: "航线", target: "目标", goto: "指点飞行", dock: "机场", route_refused: "无可用航线", payload: "载荷任务",
  effect_failed: "执行失败", return_dock: "返航机场", hold: "悬停", abort: "中止", speak: "喊话",
  arrived: "已到达", airborne: "已起飞", dock_ready: "机场就绪", battery_low: "电量低", link_lost: "链路中断",
  link_restored: "链路恢复",
};

export function t(key) {
  return LABELS[lang][key] ?? LABELS.en[key] ?? key;
}

// a decision's wind: "5.0 m/s from 225°", or "5.0 m/s, direction unknown (worst case)" when the
// docks reported only the speed (the planner then took each option's worst direction)
export function windText(d) {
  const speed = `${d.wind_speed_mps.toFixed(1)} m/s`;
  if (!(d.wind_speed_mps > 0)) return speed;
  if (d.wind_direction_known === false || d.wind_from_deg === null) return `${speed}, ${t("wind_direction_unknown")}`;
  return `${speed} ${t("wind_from")} ${Math.round(d.wind_from_deg)}°`;
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
