// i18n.js - the page's labels in Chinese (the default) and English.
// Static text carries data-i18n (textContent), data-i18n-title and
// data-i18n-placeholder; code calls t(key, {vars}). A change of language
// fires 'lang' on window so the modules redraw what they wrote.
import { OPS } from './i18n-ops.js';
import { CP, conditionOf } from './i18n-cp.js';
import { EM } from './i18n-em.js';

export const TABLE = {
  zh: {
    'app.title': '化工园区一张图',
    'app.subtitle': 'Parkwatch 指挥中心',
    'view.overview': '总览',
    'view.risk': '风险',
    'view.environment': '环境',
    'view.emergency': '应急',
    'login.title': '登录',
    'login.prompt': '请输入访问令牌（parkctl token create）',
    'login.token': '令牌',
    'login.submit': '登录',
    'login.bad': '令牌无效或已吊销',
    'login.unreachable': '无法连接服务器',
    'logout': '退出',
    'role.admin': '管理员',
    'role.operator': '值班员',
    'role.regulator': '监管',
    'role.enterprise': '企业',
    'lang.switch': 'EN',
    'sound.on': '声音开',
    'sound.off': '静音',
    'live': '实时',
    'replay': '回放',
    'replay.at': '回放时刻',
    'replay.play': '播放',
    'replay.pause': '暂停',
    'replay.golive': '回到实时',
    'replay.window': '时间窗',
    'replay.speed': '速度',
    'replay.readonly': '回放中：只读',
    'layers.title': '图层',
    'kind.enterprise': '企业地块',
    'kind.hazard_source': '重大危险源',
    'kind.tank': '储罐',
    'kind.pipeline': '管道',
    'kind.gas_detector': '气体探测器',
    'kind.aq_station': '空气质量站',
    'kind.weather_station': '气象站',
    'kind.building': '建筑',
    'kind.gate': '出入口',
    'kind.shelter': '避难所',
    'kind.fire_station': '消防站',
    'kind.resource': '应急资源',
    'kind.sensitive_target': '敏感目标',
    'kind.road': '道路',
    'kind.idw': '插值场',
    'kind.zones': '影响范围',
    'alarms.title': '报警',
    'alarms.none': '无活动报警',
    'alarms.more': '另有 {n} 条报警（按优先级仅显示前 200 条）',
    'alarms.ack': '确认',
    'alarms.shelve': '搁置',
    'alarms.unshelve': '取消搁置',
    'alarms.minutes': '分钟',
    'alarms.comment': '备注',
    'alarms.confirm': '确定',
    'alarms.cancel': '取消',
    'alarms.shelved': '已搁置',
    'alarms.until': '至',
    'alarms.since': '自',
    'alarms.value': '值',
    'alarms.limit': '限值',
    'alarms.failed': '操作失败',
    'alarms.stream.down': '报警推送中断，正在重连…',
    'state.unack': '未确认',
    'state.acked': '已确认',
    'state.rtn_unack': '已恢复未确认',
    'state.normal': '正常',
    'akind.high': '高报',
    'akind.high_high': '高高报',
    'akind.low': '低报',
    'akind.low_low': '低低报',
    'akind.rate': '变化率',
    'akind.stale': '数据中断',
    'akind.fault': '故障信号',
    'akind.deviation': '偏差',
    'prio': 'P',
    'tab.details': '详情',
    'tab.view': '视图',
    'tab.ingest': '接入',
    'details.none': '点击地图上的对象查看详情与趋势',
    'details.series': '测点',
    'details.value': '当前值',
    'details.time': '时间',
    'details.alarm': '报警',
    'details.enterprise': '企业',
    'details.properties': '属性',
    'trend.title': '趋势',
    'trend.reset': '复位',
    'trend.nodata': '该时段无数据',
    'trend.hint': '拖动选择区间放大',
    'risk.title': '重大危险源风险',
    'risk.R': 'R 值',
    'risk.grade': '级别',
    'risk.S': 'S 值',
    'risk.alpha': 'α',
    'risk.level': '状态',
    'risk.reasons': '原因',
    'risk.inventory': '存量',
    'risk.exposed': '暴露人数',
    'risk.major': '构成重大危险源',
    'risk.trend': '存量趋势 (t)',
    'level.normal': '正常',
    'level.elevated': '升高',
    'level.high': '高',
    'level.critical': '危急',
    'env.title': '环境空气质量',
    'env.aqi': 'AQI',
    'env.primary': '首要污染物',
    'env.category': '类别',
    'env.pollutant': '插值污染物',
    'env.toxic': '有毒气体超标时长（今日）',
    'env.detectors': '探测器',
    'env.exceeding': '超标数',
    'env.hours': '超标小时',
    'env.worst': '最严重',
    'env.exceed': '超标',
    'env.idw.note': '插值：各站最近 1 小时均值，按 IAQI 分级着色',
    'em.title': '应急事件',
    'em.none': '无事件',
    'em.open': '新建事件',
    'em.tank': '储罐',
    'em.rate': '泄漏速率 (kg/s)',
    'em.hole': '孔径 (mm)',
    'em.note': '说明',
    'em.submit': '发布',
    'em.close': '关闭事件',
    'em.proposed': '建议',
    'em.active': '进行中',
    'em.closed': '已关闭',
    'em.wind': '风',
    'em.stability': '稳定度',
    'em.from': '来自',
    'em.zones': '影响区',
    'em.threshold': '阈值浓度',
    'em.distance': '下风向距离',
    'em.occupants': '人数',
    'em.buildings': '建筑',
    'em.detectors': '探测器核验',
    'em.shelters': '避难所',
    'em.gates': '出入口',
    'em.fire': '消防站',
    'em.staging': '集结点',
    'em.responders': '救援路线',
    'em.evacuation': '疏散路线',
    'em.eta': '预计到达',
    'em.to': '去往',
    'em.route_from': '出发地',
    'em.unreachable': '无可达避难点',
    'em.outside': '区外报警探测器',
    'verdict.confirms': '印证',
    'verdict.disagrees': '不符',
    'verdict.no reading': '无读数',
    'side.upwind': '上风向',
    'side.crosswind': '侧风向',
    'ingest.title': '数据接入',
    'ingest.online': '在线',
    'ingest.offline': '离线',
    'ingest.enterprises': '企业在线',
    'ingest.rate': '消息/秒',
    'ingest.rejected': '拒收',
    'ingest.queue': '队列',
    'ingest.devices': '设备',
    'ingest.dead': '最近拒收消息',
    'ingest.reason': '原因',
    'ingest.broker': '消息服务器',
    'ingest.connected': '已连接',
    'ingest.disconnected': '未连接',
    'ingest.latency': '入库延迟 p50/p99',
    'legend.detector': '探测器读数 / 报警',
    'legend.nodata': '无数据',
    'legend.fault': '故障',
    'legend.low': '< 20% 一级报警值',
    'legend.mid': '< 50%',
    'legend.near': '< 100%',
    'legend.over': '超一级报警值',
    'legend.p1': '一级报警',
    'legend.p2': '二级报警',
    'legend.p3': '三级报警',
    'legend.p4': '四级报警',
    'legend.aqi': 'AQI 类别',
    'aqi.1': '优',
    'aqi.2': '良',
    'aqi.3': '轻度污染',
    'aqi.4': '中度污染',
    'aqi.5': '重度污染',
    'aqi.6': '严重污染',
    'akind.stuck': '读数冻结',
    'akind.range': '超量程',
    'akind.drift': '漂移',
    'akind.flapping': '通信频断',
    'akind.imbalance': '进出不平衡',
    'aclass.process': '工艺报警',
    'aclass.instrument': '仪表故障',
    'origin.derived': '自动生成',
    'origin.config': '配置',
    'origin.manual': '人工',
    'origin.engine': '系统',
    'alarms.basis': '限值依据',
    'alarms.origin': '来源',
    'unit.times': '次',
    'prop.name': '名称',
    'prop.gas': '气体',
    'prop.type': '类型',
    'prop.alarm1': '一级报警值',
    'prop.alarm2': '二级报警值',
    'prop.substance': '介质',
    'prop.substances': '危险物质',
    'prop.capacity_m3': '容积',
    'prop.height_m': '高度',
    'prop.density': '密度',
    'prop.design_pressure_mpa': '设计压力',
    'prop.grade': '级别',
    'prop.occupants_day': '白天人数',
    'prop.occupants_night': '夜间人数',
    'prop.capacity': '容纳人数',
    'prop.series': '测点',
    'prop.diameter_mm': '管径',
    'prop.length_m': '长度',
    'prop.volume_m3': '容积',
    'prop.max_level_m': '最高液位',
    'prop.unknown': '其他属性',
    'dtype.combustible': '可燃气体',
    'dtype.toxic': '有毒气体',
    'dtype.oxygen': '氧气',
    'grade.n': '{g}级',
    'q.level': '液位',
    'q.temp': '温度',
    'q.pressure': '压力',
    'q.flow': '流量',
    'q.lel': '可燃气体浓度',
    'q.ppm': '有毒气体浓度',
    'q.wind_speed': '风速',
    'q.wind_dir': '风向',
    'q.humidity': '湿度',
    'q.value': '测值',
    'bname.control room': '控制室',
    'bname.office': '办公楼',
    'bname.workshop': '车间',
    'bname.warehouse': '仓库',
    'bname.laboratory': '化验室',
    'bname.gate': '{n}号门',
    'bname.shelter': '{n}号避难所',
    'bname.fire': '{n}号消防站',
    'bname.road': '{n}号路',
    'reason.gas': '{n} 个{p}级气体报警',
    'reason.process': '{n} 个{p}级工艺报警',
    'reason.instrument_p': '{n} 个{p}级仪表报警',
    'reason.alarms': '{n} 个{what}',
    'reason.fault': '{n} 个仪表故障',
    'reason.stale': '{n} 个探测器数据中断',
    'reason.blind_of': '{n}/{m} 个探测器失效',
    'reason.blind': '{n} 个探测器失效',
    'reason.unclassified': '{n} 种物质未分类',
    'reason.grade': '{g}级重大危险源',
    'reason.frozen': '{q}变送器读数冻结',
    'reason.inst_kind': '{n} 个仪表{k}',
    'reason.unknown': '原因',
    'dead.other': '其他',
    'dead.malformed_json': 'JSON 格式错误',
    'dead.bad_topic': '主题错误',
    'dead.unknown_enterprise': '未知企业',
    'dead.foreign_series': '非本企业测点',
    'dead.series_limit': '测点数超限',
    'dead.payload_too_large': '消息过大',
    'dead.bad_timestamp': '时间戳错误',
    'dead.ts_out_of_range': '时间戳超出范围',
    'dead.nan_or_inf': '非数值',
    'dead.bad_value_type': '数值类型错误',
    'dead.empty': '无读数',
    'dead.missing_fields': '缺少字段',
    'dead.bad_quality': '质量码错误',
    'http.404': '不存在',
    'http.403': '无权限',
    'http.400': '请求无效',
    'http.409': '状态冲突',
    'http.503': '服务不可用',
    'http.other': '服务器错误',
    'unavailable': '不可用',
    'tab.enterprises': '企业',
    'ent.title': '企业状态',
    'ent.park': '园区',
    'ent.status': '状态',
    'ent.name': '企业',
    'ent.alarms': '活动报警',
    'ent.completeness': '今日完整率',
    'ent.online': '在线',
    'ent.partial': '部分在线',
    'ent.offline': '离线',
    'ent.sort': '按报警排序',
    'ent.instrument': '其中仪表报警',
    'ent.series': '测点在线',
    'hl.title': '仪表健康',
    'hl.online_rate': '在线率',
    'hl.healthy_share': '健康占比',
    'hl.instruments': '仪表',
    'hl.faults': '故障分类',
    'hl.day': '日期',
    'hl.completeness': '数据完整率',
    'hl.days': '近 {n} 天',
    'trend.step': '步长',
    'trend.min': '最小',
    'trend.max': '最大',
    'trend.avg': '平均',
    'trend.l1': '一级报警',
    'trend.l2': '二级报警',
    'map.north': '北',
    'stability': '稳定度',
    'error': '错误',
    'loading': '加载中…',
    'forbidden': '无权限',
  },
  en: {
    'app.title': 'Chemical Park — One Map',
    'app.subtitle': 'Parkwatch command centre',
    'view.overview': 'Overview',
    'view.risk': 'Risk',
    'view.environment': 'Environment',
    'view.emergency': 'Emergency',
    'login.title': 'Sign in',
    'login.prompt': 'Enter an access token (parkctl token create)',
    'login.token': 'Token',
    'login.submit': 'Sign in',
    'login.bad': 'The token is not valid or was revoked',
    'login.unreachable': 'The server cannot be reached',
    'logout': 'Sign out',
    'role.admin': 'Admin',
    'role.operator': 'Operator',
    'role.regulator': 'Regulator',
    'role.enterprise': 'Enterprise',
    'lang.switch': '中文',
    'sound.on': 'Sound on',
    'sound.off': 'Muted',
    'live': 'LIVE',
    'replay': 'REPLAY',
    'replay.at': 'Replay at',
    'replay.play': 'Play',
    'replay.pause': 'Pause',
    'replay.golive': 'Go live',
    'replay.window': 'Window',
    'replay.speed': 'Speed',
    'replay.readonly': 'Replay: read only',
    'layers.title': 'Layers',
    'kind.enterprise': 'Enterprise plots',
    'kind.hazard_source': 'Major hazard sources',
    'kind.tank': 'Tanks',
    'kind.pipeline': 'Pipelines',
    'kind.gas_detector': 'Gas detectors',
    'kind.aq_station': 'Air-quality stations',
    'kind.weather_station': 'Weather stations',
    'kind.building': 'Buildings',
    'kind.gate': 'Gates',
    'kind.shelter': 'Shelters',
    'kind.fire_station': 'Fire stations',
    'kind.resource': 'Emergency resources',
    'kind.sensitive_target': 'Sensitive targets',
    'kind.road': 'Roads',
    'kind.idw': 'Interpolated field',
    'kind.zones': 'Footprints',
    'alarms.title': 'Alarms',
    'alarms.none': 'No active alarms',
    'alarms.more': '{n} more alarms (the 200 most urgent are listed)',
    'alarms.ack': 'Ack',
    'alarms.shelve': 'Shelve',
    'alarms.unshelve': 'Unshelve',
    'alarms.minutes': 'minutes',
    'alarms.comment': 'Comment',
    'alarms.confirm': 'OK',
    'alarms.cancel': 'Cancel',
    'alarms.shelved': 'shelved',
    'alarms.until': 'until',
    'alarms.since': 'since',
    'alarms.value': 'value',
    'alarms.limit': 'limit',
    'alarms.failed': 'The action failed',
    'alarms.stream.down': 'Alarm stream lost, reconnecting…',
    'state.unack': 'unacknowledged',
    'state.acked': 'acknowledged',
    'state.rtn_unack': 'returned, unacknowledged',
    'state.normal': 'normal',
    'akind.high': 'high',
    'akind.high_high': 'high-high',
    'akind.low': 'low',
    'akind.low_low': 'low-low',
    'akind.rate': 'rate of change',
    'akind.stale': 'stale data',
    'akind.fault': 'fault signal',
    'akind.deviation': 'deviation',
    'prio': 'P',
    'tab.details': 'Details',
    'tab.view': 'View',
    'tab.ingest': 'Ingest',
    'details.none': 'Click a feature on the map for its details and trend',
    'details.series': 'Series',
    'details.value': 'Value',
    'details.time': 'Time',
    'details.alarm': 'Alarm',
    'details.enterprise': 'Enterprise',
    'details.properties': 'Properties',
    'trend.title': 'Trend',
    'trend.reset': 'Reset',
    'trend.nodata': 'No data in this window',
    'trend.hint': 'Drag to zoom',
    'risk.title': 'Major hazard risk',
    'risk.R': 'R',
    'risk.grade': 'Grade',
    'risk.S': 'S',
    'risk.alpha': 'α',
    'risk.level': 'Level',
    'risk.reasons': 'Reasons',
    'risk.inventory': 'Inventory',
    'risk.exposed': 'Exposed people',
    'risk.major': 'Major hazard',
    'risk.trend': 'Inventory trend (t)',
    'level.normal': 'normal',
    'level.elevated': 'elevated',
    'level.high': 'high',
    'level.critical': 'critical',
    'env.title': 'Air quality',
    'env.aqi': 'AQI',
    'env.primary': 'Primary pollutant',
    'env.category': 'Category',
    'env.pollutant': 'Interpolated pollutant',
    'env.toxic': 'Toxic detectors above level 1 (today)',
    'env.detectors': 'Detectors',
    'env.exceeding': 'Exceeding',
    'env.hours': 'Hours',
    'env.worst': 'Worst',
    'env.exceed': 'Exceedances',
    'env.idw.note': 'Interpolated from each station’s latest 1-h mean, coloured by IAQI band',
    'em.title': 'Incidents',
    'em.none': 'No incidents',
    'em.open': 'Open an incident',
    'em.tank': 'Tank',
    'em.rate': 'Release (kg/s)',
    'em.hole': 'Hole (mm)',
    'em.note': 'Note',
    'em.submit': 'Open',
    'em.close': 'Close incident',
    'em.proposed': 'proposed',
    'em.active': 'active',
    'em.closed': 'closed',
    'em.wind': 'Wind',
    'em.stability': 'Stability',
    'em.from': 'from',
    'em.zones': 'Footprints',
    'em.threshold': 'Threshold',
    'em.distance': 'Downwind',
    'em.occupants': 'people',
    'em.buildings': 'buildings',
    'em.detectors': 'Detectors checked',
    'em.shelters': 'Shelters',
    'em.gates': 'Gates',
    'em.fire': 'Fire stations',
    'em.staging': 'Staging point',
    'em.responders': 'Responders\' routes',
    'em.evacuation': 'Evacuation routes',
    'em.eta': 'ETA',
    'em.to': 'To',
    'em.route_from': 'From',
    'em.unreachable': 'No refuge reachable',
    'em.outside': 'Alarming outside every footprint',
    'verdict.confirms': 'confirms',
    'verdict.disagrees': 'disagrees',
    'verdict.no reading': 'no reading',
    'side.upwind': 'upwind',
    'side.crosswind': 'crosswind',
    'ingest.title': 'Ingest',
    'ingest.online': 'online',
    'ingest.offline': 'offline',
    'ingest.enterprises': 'Enterprises online',
    'ingest.rate': 'msg/s',
    'ingest.rejected': 'Rejected',
    'ingest.queue': 'Queue',
    'ingest.devices': 'Devices',
    'ingest.dead': 'Latest rejected messages',
    'ingest.reason': 'Reason',
    'ingest.broker': 'Broker',
    'ingest.connected': 'connected',
    'ingest.disconnected': 'disconnected',
    'ingest.latency': 'Store latency p50/p99',
    'legend.detector': 'Detector reading / alarm',
    'legend.nodata': 'no data',
    'legend.fault': 'fault',
    'legend.low': '< 20 % of level 1',
    'legend.mid': '< 50 %',
    'legend.near': '< 100 %',
    'legend.over': 'above level 1',
    'legend.p1': 'priority 1',
    'legend.p2': 'priority 2',
    'legend.p3': 'priority 3',
    'legend.p4': 'priority 4',
    'legend.aqi': 'AQI category',
    'aqi.1': 'Excellent',
    'aqi.2': 'Good',
    'aqi.3': 'Lightly polluted',
    'aqi.4': 'Moderately polluted',
    'aqi.5': 'Heavily polluted',
    'aqi.6': 'Severely polluted',
    'akind.stuck': 'stuck reading',
    'akind.range': 'out of range',
    'akind.drift': 'drift',
    'akind.flapping': 'flapping link',
    'akind.imbalance': 'imbalance',
    'aclass.process': 'process alarm',
    'aclass.instrument': 'instrument fault',
    'origin.derived': 'derived',
    'origin.config': 'configured',
    'origin.manual': 'manual',
    'origin.engine': 'system',
    'alarms.basis': 'Limit basis',
    'alarms.origin': 'Origin',
    'unit.times': 'times',
    'prop.name': 'Name',
    'prop.gas': 'Gas',
    'prop.type': 'Type',
    'prop.alarm1': 'Alarm level 1',
    'prop.alarm2': 'Alarm level 2',
    'prop.substance': 'Substance',
    'prop.substances': 'Hazardous substances',
    'prop.capacity_m3': 'Capacity',
    'prop.height_m': 'Height',
    'prop.density': 'Density',
    'prop.design_pressure_mpa': 'Design pressure',
    'prop.grade': 'Grade',
    'prop.occupants_day': 'Occupants (day)',
    'prop.occupants_night': 'Occupants (night)',
    'prop.capacity': 'Capacity (people)',
    'prop.series': 'Series',
    'prop.diameter_mm': 'Diameter',
    'prop.length_m': 'Length',
    'prop.volume_m3': 'Volume',
    'prop.max_level_m': 'Maximum level',
    'prop.unknown': 'Other property',
    'dtype.combustible': 'combustible',
    'dtype.toxic': 'toxic',
    'dtype.oxygen': 'oxygen',
    'grade.n': 'grade {G}',
    'q.level': 'level',
    'q.temp': 'temperature',
    'q.pressure': 'pressure',
    'q.flow': 'flow',
    'q.lel': 'combustible gas',
    'q.ppm': 'toxic gas',
    'q.wind_speed': 'wind speed',
    'q.wind_dir': 'wind direction',
    'q.humidity': 'humidity',
    'q.value': 'value',
    'bname.control room': 'control room',
    'bname.office': 'office',
    'bname.workshop': 'workshop',
    'bname.warehouse': 'warehouse',
    'bname.laboratory': 'laboratory',
    'bname.gate': 'Gate {n}',
    'bname.shelter': 'Shelter {n}',
    'bname.fire': 'Fire station {n}',
    'bname.road': 'Road {n}',
    'reason.gas': '{n} priority-{p} gas alarm(s)',
    'reason.process': '{n} priority-{p} process alarm(s)',
    'reason.instrument_p': '{n} priority-{p} instrument alarm(s)',
    'reason.alarms': '{n} {what}',
    'reason.fault': '{n} instrument fault(s)',
    'reason.stale': '{n} stale detector(s)',
    'reason.blind_of': '{n} of {m} detectors blind',
    'reason.blind': '{n} detectors blind',
    'reason.unclassified': '{n} substance(s) not classified',
    'reason.grade': 'grade {g} major hazard',
    'reason.frozen': '{q} transmitter frozen',
    'reason.inst_kind': '{n} instrument(s): {k}',
    'reason.unknown': 'Reason',
    'dead.other': 'other',
    'dead.malformed_json': 'malformed JSON',
    'dead.bad_topic': 'bad topic',
    'dead.unknown_enterprise': 'unknown enterprise',
    'dead.foreign_series': 'series of another enterprise',
    'dead.series_limit': 'too many series',
    'dead.payload_too_large': 'message too large',
    'dead.bad_timestamp': 'bad timestamp',
    'dead.ts_out_of_range': 'timestamp out of range',
    'dead.nan_or_inf': 'not a number',
    'dead.bad_value_type': 'bad value type',
    'dead.empty': 'no reading',
    'dead.missing_fields': 'missing fields',
    'dead.bad_quality': 'bad quality code',
    'http.404': 'not found',
    'http.403': 'not allowed',
    'http.400': 'bad request',
    'http.409': 'conflict',
    'http.503': 'service unavailable',
    'http.other': 'server error',
    'unavailable': 'unavailable',
    'tab.enterprises': 'Enterprises',
    'ent.title': 'Enterprise status',
    'ent.park': 'Park',
    'ent.status': 'Status',
    'ent.name': 'Enterprise',
    'ent.alarms': 'Active alarms',
    'ent.completeness': 'Complete today',
    'ent.online': 'online',
    'ent.partial': 'partly online',
    'ent.offline': 'offline',
    'ent.sort': 'Sort by alarms',
    'ent.instrument': 'of which instrument alarms',
    'ent.series': 'series online',
    'hl.title': 'Instrument health',
    'hl.online_rate': 'Online',
    'hl.healthy_share': 'Healthy',
    'hl.instruments': 'Instruments',
    'hl.faults': 'Faults by kind',
    'hl.day': 'Day',
    'hl.completeness': 'Data complete',
    'hl.days': 'last {n} days',
    'trend.step': 'step',
    'trend.min': 'min',
    'trend.max': 'max',
    'trend.avg': 'mean',
    'trend.l1': 'level 1',
    'trend.l2': 'level 2',
    'map.north': 'N',
    'stability': 'Stability',
    'error': 'Error',
    'loading': 'Loading…',
    'forbidden': 'Not allowed',
  },
};
// the duty room's pages (i18n-ops.js)
Object.assign(TABLE.zh, OPS.zh);
Object.assign(TABLE.en, OPS.en);
// closed park and special work (i18n-cp.js)
Object.assign(TABLE.zh, CP.zh);
Object.assign(TABLE.en, CP.en);
// the emergency view's command panel and threat zones (i18n-em.js)
Object.assign(TABLE.zh, EM.zh);
Object.assign(TABLE.en, EM.en);

let lang = 'zh';

export function initLang(fallback) {
  const saved = localStorage.getItem('parkwatch.lang');
  lang = TABLE[saved] ? saved : TABLE[fallback] ? fallback : 'zh';
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  return lang;
}

export const getLang = () => lang;

export function setLang(l) {
  if (!TABLE[l] || l === lang) return;
  lang = l;
  localStorage.setItem('parkwatch.lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  applyI18n(document);
  window.dispatchEvent(new Event('lang'));
}

/** The label for key in the current language ({name} replaced from vars). */
export function t(key, vars) {
  let s = TABLE[lang][key];
  if (s === undefined) {
    missing(key);
    s = lang === 'en' ? TABLE.zh[key] ?? key : key;
  }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  return s;
}

export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]'))
    el.placeholder = t(el.dataset.i18nPlaceholder);
}

/** Numbers and times in the page's language (the formatters cached: making one costs ~0.1 ms). */
const formatters = new Map();
function formatter(kind, opts) {
  const key = `${lang}|${kind}|${JSON.stringify(opts)}`;
  let f = formatters.get(key);
  if (!f) {
    const loc = lang === 'zh' ? 'zh-CN' : 'en-GB';
    f = kind === 'n' ? new Intl.NumberFormat(loc, opts) : new Intl.DateTimeFormat(loc, opts);
    formatters.set(key, f);
  }
  return f;
}

export function fmtNum(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  const d = a >= 1000 ? 0 : a >= 100 ? Math.min(digits, 1) : digits;
  return formatter('n', { maximumFractionDigits: d }).format(v);
}

const TIME = { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
const DATETIME = { ...TIME, year: 'numeric', month: '2-digit', day: '2-digit' };
export function fmtTime(ms, withDate = false) {
  if (!ms) return '—';
  return formatter('t', withDate ? DATETIME : TIME).format(ms);
}

// ---- what the API sends in English: translated here, never shown raw on the Chinese page ----

const warned = new Set();
/** A label or API string without a translation: logged once (the page shows a generic label). */
export function missing(what) {
  if (warned.has(what)) return;
  warned.add(what);
  console.warn(`parkwatch i18n: no ${lang} text for ${JSON.stringify(what)}`);
}
/** The strings logged as untranslated (the browser test reads them). */
export const untranslated = () => [...warned];

// Substances: GB 18218's Chinese names (views/substances.c), and the
// detectors' gases. Keys lower case.
const SUBSTANCES_ZH = {
  // cargo names of the gates and appointments (issue 21)
  'ammonia, anhydrous': '液氨', 'hydrochloric acid': '盐酸', 'diesel': '柴油', 'sulfuric acid': '硫酸',
  chlorine: '氯', 'liquid chlorine': '液氯', ammonia: '氨', 'liquid ammonia': '液氨', 'anhydrous ammonia': '液氨',
  'liquefied petroleum gas': '液化石油气', lpg: '液化石油气', methane: '甲烷', 'natural gas': '天然气',
  hydrogen: '氢', 'hydrogen sulfide': '硫化氢', 'hydrogen sulphide': '硫化氢', methanol: '甲醇',
  'methyl alcohol': '甲醇', benzene: '苯', toluene: '甲苯', gasoline: '汽油', petrol: '汽油', ethylene: '乙烯',
  ethene: '乙烯', propylene: '丙烯', propene: '丙烯', acetylene: '乙炔', ethyne: '乙炔',
  'hydrogen chloride': '氯化氢', 'anhydrous hydrogen chloride': '氯化氢(无水)', phosgene: '光气',
  'carbonyl chloride': '碳酰氯', 'sulfur dioxide': '二氧化硫', 'sulphur dioxide': '二氧化硫', formaldehyde: '甲醛',
  'vinyl chloride': '氯乙烯', chloroethylene: '氯乙烯', oxygen: '氧', 'liquid oxygen': '液氧',
  'ethylene oxide': '环氧乙烷', butadiene: '丁二烯', '1,3-butadiene': '1,3-丁二烯', 'dimethyl ether': '二甲醚',
  'hydrogen fluoride': '氟化氢', 'hydrogen cyanide': '氰化氢', 'carbon disulfide': '二硫化碳',
  'carbon disulphide': '二硫化碳', acrylonitrile: '丙烯腈', styrene: '苯乙烯', acetone: '丙酮', ethanol: '乙醇',
  'ethyl alcohol': '乙醇', 'ethyl acetate': '乙酸乙酯', hexane: '己烷', 'n-hexane': '正己烷', cyclohexane: '环己烷',
  'propylene oxide': '环氧丙烷', 'toluene diisocyanate': '甲苯二异氰酸酯', 'methyl isocyanate': '异氰酸甲酯',
  'calcium carbide': '电石', 'ammonium nitrate': '硝酸铵', 'ammonium nitrate fertiliser': '硝酸铵基化肥',
  'ammonium nitrate fertilizer': '硝酸铵基化肥', propane: '丙烷', butane: '丁烷', 'n-butane': '正丁烷',
  'carbon monoxide': '一氧化碳', 'nitrogen dioxide': '二氧化氮', ozone: '臭氧', xylene: '二甲苯',
  'crude oil': '原油', diesel: '柴油', 'combustible gas': '可燃气体',
};
const CJK = /[\u4e00-\u9fff]/;

/** A substance's name in the page's language (the API's English name on the English page). */
export function subst(name) {
  if (name === null || name === undefined || name === '') return '—';
  const s = String(name);
  if (lang === 'en') return s;
  if (CJK.test(s)) return s;
  const zh = SUBSTANCES_ZH[s.toLowerCase()];
  if (zh) return zh;
  missing(`substance ${s}`);
  return s; // a name or formula the page does not know (logged)
}

/** Engineering unit after a number: "100 %LEL", "12.5 m"; the number alone without a unit. */
// units the API names in words (the closed park's conditions: "3 people", "12 min")
const UNIT_WORDS = { zh: { people: '人', min: '分钟', vehicles: '辆' }, en: {} };
export function fmtVal(v, unit, digits) {
  const n = fmtNum(v, digits);
  return unit && n !== '—' ? `${n} ${UNIT_WORDS[lang][unit] || unit}` : n;
}

/** A fraction 0..1 as a percentage ("98.3 %"). */
export function fmtPct(f, digits = 1) {
  if (f === null || f === undefined || !Number.isFinite(f)) return '—';
  return `${formatter('n', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(f * 100)} %`;
}

/** The quantity of a series ("E001/tankfarm-1/T101.level" -> level) and its fallback unit. */
const QUANTITIES = [
  [/\/lel$/i, 'lel', '%LEL'], [/\/ppm$/i, 'ppm', 'ppm'], [/[./]level$/i, 'level', 'm'],
  // a tank's storage pressure in kPa (absolute), a line's pressure transmitter in MPa (parksim's tags);
  // another pressure's unit is not guessed
  [/\/T\d+\.pressure$/i, 'pressure', 'kPa'], [/\/PT\w*\.pressure$/i, 'pressure', 'MPa'], [/[./]pressure$/i, 'pressure', ''],
  [/[./]temp(erature)?$/i, 'temp', '°C'], [/[./]flow$/i, 'flow', 'm³/h'],
  [/wind_speed$/i, 'wind_speed', 'm/s'], [/wind_dir$/i, 'wind_dir', '°'], [/humidity$/i, 'humidity', '%'],
];
const POLLUTANT = /\/(PM2_5|PM10|SO2|NO2|CO|O3)$/;

/**
 * A series' label in the page's language: the instrument's tag (T101, PT01,
 * gd-01 without its words) and the quantity ("T101 液位"), the series id
 * itself kept for a title attribute.
 */
export function seriesLabel(s) {
  const str = String(s || '');
  const pol = str.match(POLLUTANT);
  if (pol) return pollutantName(pol[1]);
  // a closed-park, special-work or camera condition: its id (a plate, zone, permit, camera) and its kind
  const cond = str.match(/^[^/]+\/(?:vehicles|zones|permits|cameras)\/(.+)\/([a-z_]+)$/);
  if (cond) return `${cond[1]} ${alarmWord('akind', cond[2])}`;
  const tail = str.split('/').slice(1);
  let tag = '';
  const last = tail[tail.length - 1] || '';
  const dot = last.lastIndexOf('.');
  if (dot > 0) tag = last.slice(0, dot);
  else if (tail.length >= 2) tag = tail[tail.length - 2];
  // a tag of words ("tankfarm", "gd-01") keeps its digits only where it is not an instrument tag
  if (/[A-Za-z]{4,}/.test(tag)) tag = (tag.match(/\d+/g) || []).join('-');
  if (/^[a-z]+-\d+$/.test(tag)) tag = tag.replace(/^[a-z]+-/, '#');
  for (const [re, q] of QUANTITIES) if (re.test(str)) return `${tag ? tag + ' ' : ''}${t(`q.${q}`)}`;
  return `${tag ? tag + ' ' : ''}${t('q.value')}`;
}

/** The unit a series' values are in, when the API did not say (its quantity's usual unit). */
export function unitOf(s, props) {
  const str = String(s || '');
  if (props && props.type === 'toxic' && /\/(ppm|value)$/.test(str)) return 'ppm';
  const pol = str.match(POLLUTANT);
  if (pol) return pol[1] === 'CO' ? 'mg/m³' : 'µg/m³';
  for (const [re, , unit] of QUANTITIES) if (re.test(str)) return unit;
  return '';
}

export function pollutantName(p) {
  return { PM2_5: 'PM2.5', PM10: 'PM10', SO2: 'SO₂', NO2: 'NO₂', CO: 'CO', O3: 'O₃' }[p] || p;
}

/** A pollutant's concentration unit (HJ 633: CO in mg/m³, the others µg/m³). */
export const pollutantUnit = (p) => (p === 'CO' ? 'mg/m³' : 'µg/m³');

export function gradeText(g) {
  if (!g) return '—';
  const roman = ['', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ'][g] || String(g);
  return t('grade.n', { g: ['', '一', '二', '三', '四'][g] || String(g), G: roman });
}

/** A feature's properties for the details panel: [label, text] with units and translated values. */
const PROP_UNITS = { capacity_m3: 'm³', height_m: 'm', density: 'kg/m³', design_pressure_mpa: 'MPa',
  diameter_mm: 'mm', length_m: 'm', volume_m3: 'm³', max_level_m: 'm', range_m: 'm' };
export const PROPS = ['name', 'gas', 'type', 'alarm1', 'alarm2', 'substance', 'substances', 'capacity_m3',
  'height_m', 'max_level_m', 'volume_m3', 'density', 'design_pressure_mpa', 'diameter_mm', 'length_m', 'grade',
  'occupants_day', 'occupants_night', 'capacity', 'zone_type', 'max_people', 'speed_kmh', 'hazmat', 'direction_deg',
  'fov_deg', 'range_m'];
export function propRows(p, kind) {
  const rows = [];
  for (const k of PROPS) {
    const v = p[k];
    if (v === undefined || v === null || v === '') continue;
    let text;
    if (k === 'name') text = featureName(p, kind);
    else if (k === 'gas' || k === 'substance') text = subst(v);
    else if (k === 'substances') text = (Array.isArray(v) ? v : [v]).map(subst).join('、');
    else if (k === 'type') text = TABLE[lang][`dtype.${v}`] ?? (missing(`type ${v}`), lang === 'en' ? String(v) : '—');
    else if (k === 'grade') text = gradeText(v);
    else if (k === 'alarm1' || k === 'alarm2') text = fmtVal(v, p.type === 'toxic' ? 'ppm' : '%LEL');
    else if (k === 'occupants_day' || k === 'occupants_night' || k === 'capacity' || k === 'max_people') text = fmtNum(v, 0);
    else if (k === 'zone_type' || k === 'hazmat') text = alarmWord(k === 'zone_type' ? 'ztype' : 'hazmat', v);
    else if (k === 'speed_kmh') text = fmtVal(v, 'km/h');
    else if (k === 'direction_deg' || k === 'fov_deg') text = `${fmtNum(v, 0)}°`;
    else if (typeof v === 'number') text = fmtVal(v, PROP_UNITS[k]);
    else text = lang === 'en' || !/[A-Za-z]{4,}/.test(String(v)) ? String(v) : (missing(`property ${k}=${v}`), '—');
    rows.push([t(`prop.${k}`), text]);
  }
  return rows;
}

/**
 * A feature's own name in the page's language: name_zh / name by language;
 * the layout's English words (building uses, "Gate 3") translated.
 */
export function featureName(p, kind) {
  if (kind === 'enterprise') return entLabel(p, p.id);
  const zh = p.name_zh, en = p.name;
  if (lang === 'zh' && zh) return zh;
  if (!en) return zh || p.id || '';
  if (lang === 'en' || CJK.test(en)) return en;
  const low = String(en).toLowerCase();
  if (TABLE.zh[`bname.${low}`]) return TABLE.zh[`bname.${low}`];
  const num = String(en).match(/^(gate|shelter|fire station|road)\s*(\w+)$/i);
  if (num) return t(`bname.${{ gate: 'gate', shelter: 'shelter', 'fire station': 'fire', road: 'road' }[num[1].toLowerCase()]}`, { n: num[2] });
  missing(`name ${en}`);
  return p.id || en;
}

/**
 * "Enterprise 6": a placeholder the layout and configs use where the
 * company's name is not known; the page shows the id then, not the words.
 */
export const placeholderName = (n) => /^\s*(enterprise|company)\s*\d+\s*$/i.test(String(n || ''));

/** An enterprise's name by language: {name, name_zh} falling back to the other, then the id. */
export function entLabel(e, id) {
  if (!e) return id || '';
  const ok = (n) => (n && !placeholderName(n) ? n : '');
  const a = ok(lang === 'zh' ? e.name_zh : e.name);
  const b = ok(lang === 'zh' ? e.name : e.name_zh);
  return a || b || id || e.id || '';
}

/** An alarm kind, class, origin or state by its API name (logged when unknown). */
export function alarmWord(group, name) {
  const key = `${group}.${name}`;
  if (TABLE[lang][key] !== undefined) return TABLE[lang][key];
  missing(key);
  return lang === 'en' ? String(name) : t('reason.unknown');
}

/** An alarm's kind in the park's words: a condition alarm's own kind (off route, no helmet...), else the kind. */
export function kindWord(a) {
  const c = conditionOf(a);
  return alarmWord('akind', c ? c.kind : a.kind);
}

// Risk reasons: the API sends English lines; each known pattern has its
// translation. An unknown one shows the generic "原因" and its numbers.
const INST_KINDS = { stale: 'stale', stuck: 'stuck', frozen: 'stuck', faulty: 'fault', fault: 'fault',
  drifting: 'drift', drift: 'drift', flapping: 'flapping', 'out of range': 'range', range: 'range' };
const REASONS = [
  [/^(\d+) priority-(\d) gas alarms?$/, (m) => t('reason.gas', { n: m[1], p: zhNum(m[2]) })],
  [/^(\d+) priority-(\d) process alarms?$/, (m) => t('reason.process', { n: m[1], p: zhNum(m[2]) })],
  [/^(\d+) priority-(\d) instrument alarms?$/, (m) => t('reason.instrument_p', { n: m[1], p: zhNum(m[2]) })],
  [/^(\d+) (process|instrument) alarms?$/, (m) => t('reason.alarms', { n: m[1], what: t(`aclass.${m[2]}`) })],
  [/^(\d+) instrument faults?$/, (m) => t('reason.fault', { n: m[1] })],
  [/^(\d+) stale detectors?$/, (m) => t('reason.stale', { n: m[1] })],
  [/^(\d+) of (\d+) detectors blind$/, (m) => t('reason.blind_of', { n: m[1], m: m[2] })],
  [/^(\d+) detectors? blind$/, (m) => t('reason.blind', { n: m[1] })],
  [/^(\d+) substances? not classified$/, (m) => t('reason.unclassified', { n: m[1] })],
  [/^grade (\d) major hazard$/, (m) => t('reason.grade', { g: zhNum(m[1]) })],
  [/^(level|pressure|temperature|temp|flow) transmitters? (frozen|stuck)$/, (m) => t('reason.frozen', { q: t(`q.${m[1] === 'temperature' ? 'temp' : m[1]}`) })],
  [/^(\d+) (stale|stuck|frozen|faulty|drifting|flapping|out of range) (instruments?|transmitters?|detectors?|sensors?)$/,
    (m) => t('reason.inst_kind', { n: m[1], k: t(`akind.${INST_KINDS[m[2]]}`) })],
  // a risk unit's live level (riskunits/grading.c, tools/parkd_riskunits.c)
  [/^(\d+) active priority-(\d) alarms?: at least (major|large|general|low)$/,
    (m) => t('reason.ru_alarm', { n: m[1], p: zhNum(m[2]), level: t(`ru.level.${m[3]}`) })],
  [/^(\d+) open major hidden hazards?: at least (major|large|general|low)$/,
    (m) => t('reason.ru_major_hazard', { n: m[1], level: t(`ru.level.${m[2]}`) })],
  [/^(\d+) overdue hidden hazards?: one level up, to (major|large|general|low)$/,
    (m) => t('reason.ru_overdue', { n: m[1], level: t(`ru.level.${m[2]}`) })],
  [/^(\d+) active priority-3\/4 alarms?: listed, no raise$/, (m) => t('reason.ru_minor', { n: m[1] })],
  [/^([A-Za-z0-9._-]+): (\S*) (\w+) \(P(\d)\)$/,
    (m) => t('reason.ru_asset_alarm', { asset: m[1], q: m[2] ? seriesLabel(m[2]) : '', kind: alarmWord('akind', m[3]), p: zhNum(m[4]) })],
];
const zhNum = (d) => (lang === 'zh' ? ['', '一', '二', '三', '四'][d] || d : d);
export function reasonText(r) {
  const s = String(r ?? '').trim();
  if (lang === 'en') return s;
  if (CJK.test(s) && !/[A-Za-z]{4,}/.test(s)) return s;
  for (const [re, fn] of REASONS) {
    const m = s.match(re);
    if (m) return fn(m);
  }
  missing(`risk reason ${s}`);
  const nums = s.match(/\d+(\.\d+)?/g);
  return `${t('reason.unknown')}${nums ? ` (${nums.join('/')})` : ''}`;
}

/** A dead letter's reason code. */
export function deadReason(code) {
  const k = `dead.${code}`;
  if (TABLE[lang][k] !== undefined) return TABLE[lang][k];
  return lang === 'en' ? String(code).replace(/_/g, ' ') : t('dead.other');
}

/** An API error for a toast: translated by status (the server's English message logged). */
export function errText(err) {
  if (!err) return t('error');
  if (lang === 'en') return err.message || String(err);
  if (err.message) console.warn(`parkwatch: ${err.message}`);
  const k = `http.${err.status}`;
  return err.status ? `${TABLE.zh[k] ?? t('http.other')} (HTTP ${err.status})` : t('login.unreachable');
}
