#!/usr/bin/env python3
"""Generate a synthetic bulletin site for benchmarking.

    python bench/generate.py N OUTDIR [--seed S]

writes OUTDIR/bulletin.yaml (40 zones, per_page 20, a base_url with a sub-path) and N reports
as OUTDIR/content/YYYY/MMDD-<slug>.md. Each report is about 2,800 characters of news prose
built from a vocabulary of high-tech-zone news: figures such as 179.65亿元 and 同比增长17.6%,
company names, quotations, **“bold slogans”** next to CJK punctuation, `##` subheads, lists
and sometimes a table; about half of the reports are hard-wrapped like a newspaper column.
Front-matter: title, date (2000–2025, some with a time), zone, reporter (1–3 of 150) and
tags (1–4 of 200).

The output depends only on N and the seed, and report i is the same whatever N is (a corpus
of 1,000 is the first 1,000 reports of a corpus of 10,000). Text is assembled from a pool of
pre-made sentences with one seeded random.Random per report, so 100,000 reports take well
under a minute.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

try:  # the project's own slug function, to keep report URLs unique
    from bulletin.slugs import slugify
except ImportError:  # pragma: no cover - run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bulletin.slugs import slugify

GENERATOR_VERSION = "1"  # bump when the output changes, so cached corpora are regenerated

# (name, slug, province, city)
ZONES = [
    ("中关村朝阳园", "zhongguancun-chaoyang", "北京", "北京"),
    ("天津滨海高新区", "tianjin-binhai", "天津", "天津"),
    ("石家庄高新区", "shijiazhuang", "河北", "石家庄"),
    ("保定高新区", "baoding", "河北", "保定"),
    ("太原高新区", "taiyuan", "山西", "太原"),
    ("包头稀土高新区", "baotou", "内蒙古", "包头"),
    ("沈阳高新区", "shenyang", "辽宁", "沈阳"),
    ("大连高新区", "dalian", "辽宁", "大连"),
    ("长春高新区", "changchun", "吉林", "长春"),
    ("哈尔滨高新区", "harbin", "黑龙江", "哈尔滨"),
    ("张江高新区", "zhangjiang", "上海", "上海"),
    ("南京高新区", "nanjing", "江苏", "南京"),
    ("苏州工业园区", "suzhou-sip", "江苏", "苏州"),
    ("无锡高新区", "wuxi", "江苏", "无锡"),
    ("常州高新区", "changzhou", "江苏", "常州"),
    ("杭州高新区", "hangzhou", "浙江", "杭州"),
    ("宁波高新区", "ningbo", "浙江", "宁波"),
    ("合肥高新区", "hefei", "安徽", "合肥"),
    ("福州高新区", "fuzhou", "福建", "福州"),
    ("厦门火炬高新区", "xiamen-torch", "福建", "厦门"),
    ("南昌高新区", "nanchang", "江西", "南昌"),
    ("济南高新区", "jinan", "山东", "济南"),
    ("青岛高新区", "qingdao", "山东", "青岛"),
    ("郑州高新区", "zhengzhou", "河南", "郑州"),
    ("洛阳高新区", "luoyang", "河南", "洛阳"),
    ("武汉东湖高新区", "wuhan-donghu", "湖北", "武汉"),
    ("长沙高新区", "changsha", "湖南", "长沙"),
    ("株洲高新区", "zhuzhou", "湖南", "株洲"),
    ("广州高新区", "guangzhou", "广东", "广州"),
    ("深圳高新区", "shenzhen", "广东", "深圳"),
    ("珠海高新区", "zhuhai", "广东", "珠海"),
    ("南宁高新区", "nanning", "广西", "南宁"),
    ("重庆高新区", "chongqing", "重庆", "重庆"),
    ("成都高新区", "chengdu", "四川", "成都"),
    ("自贡高新区", "zigong", "四川", "自贡"),
    ("贵阳高新区", "guiyang", "贵州", "贵阳"),
    ("昆明高新区", "kunming", "云南", "昆明"),
    ("西安高新区", "xian", "陕西", "西安"),
    ("兰州高新区", "lanzhou", "甘肃", "兰州"),
    ("乌鲁木齐高新区", "urumqi", "新疆", "乌鲁木齐"),
]

TAGS = """
产业招商 营商环境 企业服务 项目建设 重大项目 科技创新 人才引进 双创 孵化器 众创空间
专精特新 独角兽企业 瞪羚企业 高新技术企业 科技型中小企业 知识产权 标准化 产学研 成果转化 新型研发机构
重点实验室 工程技术中心 园区建设 产城融合 绿色发展 碳达峰碳中和 对外开放 一带一路 自贸试验区 放管服
一网通办 疫情防控 复工复产 乡村振兴 党建引领 安全生产 集成电路 人工智能 生物医药 新能源汽车
新材料 高端装备 数字经济 软件和信息服务 大数据 云计算 物联网 区块链 5G 工业互联网
智能制造 航空航天 北斗导航 光电子 半导体 氢能 新型储能 锂电池 光伏 医疗器械
创新药 基因技术 现代农业 种业 节能环保 新一代信息技术 智能网联汽车 机器人 无人机 虚拟现实
元宇宙 量子科技 卫星互联网 超高清视频 网络安全 信创 动漫游戏 数字文创 跨境电商 现代物流
金融科技 科技金融 风险投资 上市企业 北交所 科创板 创业板 融资担保 知识产权质押 政府引导基金
产业基金 招商引资 总部经济 楼宇经济 飞地经济 链长制 产业链 供应链 集群发展 创新集群
数字政府 智慧城市 新基建 数据中心 算力 东数西算 大模型 芯片设计 晶圆制造 封装测试
显示面板 传感器 功率器件 第三代半导体 碳化硅 稀土 新能源 风电 储能电站 充电桩
动力电池 汽车零部件 轨道交通 工程机械 数控机床 仪器仪表 精密制造 3D打印 激光 光通信
光纤 新型显示 智能家居 消费电子 可穿戴设备 医美 中医药 疫苗 体外诊断 细胞治疗
合成生物 生物制造 食品安全 化工新材料 石墨烯 碳纤维 新型建材 装配式建筑 环保技术 水处理
固废处理 土地集约 标准地 亩均效益 拿地即开工 审批改革 证照分离 信用体系 法治化 国际化
人才公寓 青年人才 院士工作站 博士后工作站 海外人才 高校合作 职业教育 技能培训 就业 社会保障
民生工程 教育医疗 城市更新 生态环境 营收增长 税收 固定资产投资 外贸进出口 利用外资 研发投入
专利 商标 标准制定 首台套 揭榜挂帅 关键核心技术 国产替代 数字化转型 智能化改造 技术改造
质量品牌 展会论坛 签约仪式 开工仪式 投产 考察调研 年度盘点 政策解读 典型案例 基层一线
""".split()

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤易文"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁琳晨雪颖铭权洁勤毅峰岚鑫博"

INDUSTRIES = [
    "集成电路", "生物医药", "新能源汽车", "人工智能", "大数据", "高端装备制造", "新材料", "数字经济",
    "医疗器械", "光电子信息", "航空航天", "节能环保", "软件和信息服务", "智能制造", "氢能", "新型储能",
    "工业互联网", "北斗导航", "网络安全", "新型显示", "智能网联汽车", "现代农业", "中医药", "先进计算",
]
PRODUCTS = [
    "锂电池电芯", "新能源汽车零部件", "光伏组件", "高端医疗器械", "智能传感器", "功率半导体", "工业机器人",
    "显示面板", "生物药", "电子级硅材料", "碳化硅衬底", "氢燃料电池", "服务器", "激光器", "体外诊断试剂",
    "无人机", "数控机床", "动力电池", "光模块", "特种合金",
]
SLOGANS = [
    "双第一", "千企引进", "一网通办", "链长制", "放管服", "最多跑一次", "拿地即开工", "标准地", "一企一策",
    "店小二", "揭榜挂帅", "专精特新", "双招双引", "亩均论英雄", "一站式服务", "承诺制", "保姆式服务",
    "飞地经济", "产业链招商", "三个一批", "一区多园", "管家式服务", "全生命周期", "一件事一次办",
    "即来即办", "免申即享", "一业一证", "项目为王", "企业之家", "科创飞地", "一品一业、百业富贵",
]
CO_PREFIX = [
    "华芯", "中科", "天润", "博瑞", "恒信", "联创", "金科", "远景", "星辰", "润泽", "瑞德", "宏图", "鼎盛",
    "汇智", "精诚", "睿思", "云图", "卓越", "新锐", "东方", "海纳", "正阳", "国泰", "长风", "凌云", "百川",
    "安捷", "思源", "同方", "启明", "信达", "华拓", "智源", "光启", "德润", "九州", "蓝海", "晶合", "天成", "慧聚",
]
CO_TRADE = [
    "微电子", "生物科技", "智能装备", "新材料", "信息技术", "医药", "新能源", "光电", "半导体", "数据科技",
    "机器人", "汽车零部件", "精密制造", "环保科技", "通信技术", "软件", "储能科技", "医疗器械",
]
CO_SUFFIX = ["有限公司", "股份有限公司", "集团有限公司", "科技有限公司"]
POSTS = [
    "〔Z〕管委会主任", "〔Z〕管委会副主任", "〔Z〕党工委书记", "〔Z〕科技创新局局长", "〔Z〕投资促进局负责人",
    "〔Z〕经济发展局局长", "〔Z〕企业服务中心主任", "〔Z〕招商局副局长", "〔Z〕人才服务中心负责人",
]
CO_POSTS = ["董事长", "总经理", "副总经理", "技术总监", "创始人", "负责人"]
QUOTES = [
    "我们将继续坚持项目为王，以更大力度推进产业招商，努力在高质量发展上走在前列。",
    "从签约到开工只用了不到三个月，这样的速度让我们对未来充满信心。",
    "企业遇到的每一个问题，我们都要有人管、有人跟、有结果。",
    "高新区的政策很实在，服务也很贴心，我们决定把第二期项目继续放在这里。",
    "创新是第一动力，人才是第一资源，我们要把最好的资源配置到最需要的地方。",
    "今年我们的订单已经排到了明年二季度，产能还在不断扩大。",
    "要把招商引资作为经济工作的生命线，以产业链思维谋划项目、引进项目。",
    "我们将聚焦主导产业，推动创新链、产业链、资金链、人才链深度融合。",
    "这里的产业配套非常完整，上下游企业在半小时车程内就能找到。",
    "过去一年，我们的研发投入占营业收入的比重超过了百分之十五。",
    "下一步，我们将以更优的营商环境吸引更多优质企业落户。",
    "只要企业有需要，我们随叫随到，全程代办，做好服务企业的‘店小二’。",
    "我们希望用三到五年时间，把这个产业集群打造成为全国有影响力的创新高地。",
    "科技成果只有转化为现实生产力，才能真正体现它的价值。",
    "园区为我们解决了用地、用电和人才公寓等一系列难题，让我们可以专心搞研发。",
]
PARKS = ["软件园", "生物城", "智造谷", "科技城", "双创基地", "人才港", "数字产业园", "光谷", "创新港", "未来科学城"]

# Sentence templates; {Z} is the report's zone (filled in per report), the rest per sentence.
SENTENCES = [
    "{yr}年，{Z}新引进产业项目到位资金累计{yi}，新引进产业项目累计完成{n}个。",
    "{Z}实现规模以上工业总产值{yi}，同比增长{pct}，增速位居全市第一。",
    "据统计，{Z}全年实现营业收入{yi}，同比增长{pct}；实现税收{yi2}，同比增长{pct2}。",
    "围绕{ind}产业，{Z}着力引进一批龙头企业和配套项目，产业集聚效应日益凸显。",
    "{co}投资{yi}建设的年产{n}万套{product}项目已正式投产，预计年产值可达{yi2}。",
    "今年以来，{Z}深入实施{bq}行动，累计走访企业{n}家，协调解决问题{n2}个。",
    "近年来，{Z}围绕{ind}、{ind2}和{ind3}等主导产业，持续完善产业链条，着力构建现代产业体系。",
    "截至目前，{Z}共有国家高新技术企业{n3}家，科技型中小企业{n4}家，专精特新“小巨人”企业{n}家。",
    "{Z}以{bq}为抓手，推动审批服务提速增效，企业开办时间压缩至{n5}个工作日以内。",
    "{co}是一家专注于{ind}领域的高新技术企业，其自主研发的{product}技术打破了国外垄断。",
    "记者在{Z}{park}看到，一栋栋厂房拔地而起，塔吊林立，工人们正在抓紧施工。",
    "项目总投资{yi}，总建筑面积约{n3}平方米，建成后将形成完整的{ind}产业链。",
    "{Z}研究与试验发展经费支出占地区生产总值的比重达到{pct}，高于全国平均水平。",
    "去年，{Z}新增发明专利授权{n3}件，每万人口发明专利拥有量达到{n}件。",
    "在{bq}的推动下，{Z}营商环境持续优化，市场主体数量同比增长{pct}。",
    "{Z}设立规模{yi}的产业引导基金，重点支持{ind}和{ind2}领域的初创企业。",
    "一季度，{Z}签约项目{n}个，协议投资额{yi}，其中超十亿元项目{n5}个。",
    "{co}相关负责人介绍，公司今年的研发投入将超过{yi2}，同比增长{pct}。",
    "为破解企业融资难题，{Z}联合多家银行推出“科技贷”产品，累计发放贷款{yi}。",
    "{Z}累计建成孵化器和众创空间{n}家，在孵企业超过{n3}家，毕业企业{n4}家。",
    "数据显示，{Z}以占全市{pct}的土地面积，贡献了全市{pct2}的工业增加值。",
    "{Z}积极对接{ind}领域的高校和科研院所，共建新型研发机构{n5}家。",
    "下一步，{Z}将紧扣{bq}目标，聚焦{ind}产业，全力推动项目早落地、早投产、早见效。",
    "{Z}出台了支持{ind}产业发展的{n}条措施，最高给予{wan}的资金奖励。",
    "{yr}年，{Z}引进各类人才{n3}人，其中博士{n}人、硕士{n4}人。",
    "走进{co}的生产车间，一条条自动化生产线高速运转，机械臂精准地完成焊接、装配等工序。",
    "该项目从签约到开工仅用时{n}天，创造了{Z}项目建设的新速度。",
    "{Z}外贸进出口总额达到{yi}，同比增长{pct}，其中出口{yi2}。",
    "目前，{park}已入驻企业{n3}家，年产值突破{yi}，成为{Z}经济增长的重要引擎。",
    "{Z}以{bq}推动“放管服”改革走深走实，{n}项涉企事项实现全程网办。",
    "在{ind}领域，{Z}已集聚上下游企业{n}家，初步形成了从研发设计到生产制造的完整链条。",
    "{co}入选国家级专精特新“小巨人”企业名单，成为{Z}第{n5}家获此殊荣的企业。",
    "今年前{m}个月，{Z}完成固定资产投资{yi}，同比增长{pct}，其中工业投资增长{pct2}。",
    "依托{park}，{Z}打造了集研发、中试、孵化、生产于一体的全链条创新平台。",
    "{Z}连续{n5}年在全国高新区综合评价中排名上升，目前位列第{n}位。",
    "当天，{n}个重大项目集中签约，总投资{yi}，涵盖{ind}、{ind2}等领域。",
    "{Z}建立了“企业点单、部门接单、限时办结”的服务机制，企业满意度达到{pct3}。",
    "按照规划，到{yr2}年，{Z}{ind}产业规模将突破{yi3}。",
    "面对复杂多变的外部环境，{Z}主要经济指标逆势上扬，实现了“开门红”。",
    "{co}与{Z}签署合作协议，将在区内设立区域总部和研发中心，计划投资{yi}。",
    "据了解，{Z}今年计划实施重点项目{n}个，年度计划投资{yi}。",
    "“{slogan}”背后，是{Z}多年来坚持创新驱动、深耕主导产业的结果。",
    "{Z}全面推行“{slogan}”改革，企业从拿地到开工的时间缩短了{pct3}。",
    "{Z}将“{slogan}”写进年度工作要点，作为优化营商环境的重要举措。",
    "在不久前召开的全市高质量发展大会上，{Z}获得“{slogan}”先进集体称号。",
    "{co}自主研发的{product}产品市场占有率达到{pct}，产品出口{n}多个国家和地区。",
    "{Z}围绕产业链部署创新链，围绕创新链布局产业链，推动科技成果就地转化。",
    "与此同时，{Z}加快建设人才公寓{n}套，为引进人才解决住房等后顾之忧。",
    "{Z}规模以上工业企业达到{n3}家，其中产值超亿元企业{n}家。",
    "今年，{Z}还将启动{park}二期建设，新增产业空间{n}万平方米。",
    "通过搭建供需对接平台，{Z}帮助{n}家企业实现产品本地配套，配套率提高到{pct}。",
    "在{ind}赛道上，{co}已申请发明专利{n}项，参与制定国家和行业标准{n5}项。",
]
LEADS = [
    "{yr}年以来，{Z}坚持把{bq}作为推动高质量发展的重要抓手，各项工作取得明显成效。",
    "日前，记者从{Z}获悉，{Z}{yr}年主要经济指标保持两位数增长，高质量发展态势持续向好。",
    "近日，{Z}召开{yr}年度工作会议，总结过去一年的工作，部署今年的重点任务。",
    "春节刚过，{Z}的各个项目工地便呈现出一派热火朝天的建设景象。",
    "{yr}年，面对复杂严峻的外部形势，{Z}攻坚克难、披荆斩棘，交出了一份亮眼的成绩单。",
]
HEADS = [
    "围绕产业　全方位精准招商", "优化服务　打造一流营商环境", "创新驱动　培育发展新动能", "项目为王　跑出建设加速度",
    "聚焦主业　做强{ind}产业集群", "人才引领　激活创新第一资源", "开放合作　拓展发展新空间", "数字赋能　推动产业转型升级",
    "以“{slogan}”促发展", "科技金融　破解企业融资难题", "园区建设　夯实产业发展基础", "真抓实干　奋力实现新突破",
]
TITLES = [
    "{Z}：“{slogan}”背后的发展密码",
    "{Z}{n}个重大项目集中开工 总投资{yi}",
    "{Z}前{m}个月营业收入同比增长{pct}",
    "{Z}新引进产业项目到位资金{yi}",
    "{n}个{ind}项目落户{Z}",
    "{Z}出台{n}条措施优化营商环境",
    "{Z}：{ind}产业集群加速成长",
    "{Z}{n}家企业入选专精特新“小巨人”",
    "{Z}以“{slogan}”跑出项目建设加速度",
    "{Z}：{n}亿元{product}项目正式投产",
    "{Z}规上工业产值增长{pct}",
    "{Z}设立{n}亿元{ind}产业基金",
    "{Z}引进高层次人才{n3}人",
    "{Z}{n}项科技成果集中发布",
    "{Z}打造{ind}创新高地",
]


def _names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _money(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.2f}亿元"


class Vocabulary:
    """The registry (reporters, companies, people) and a pool of pre-made sentences."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        self.reporters = _names(rng, 150)
        self.companies = []
        for _ in range(300):
            trade = rng.choice(CO_TRADE)
            suffix = rng.choice(CO_SUFFIX[:3] if trade.endswith("科技") else CO_SUFFIX)
            self.companies.append(rng.choice(CO_PREFIX) + trade + suffix)
        people = _names(rng, 200)
        self.speakers = [rng.choice(POSTS) + p if i % 2 else rng.choice(self.companies) + rng.choice(CO_POSTS) + p
                         for i, p in enumerate(people)]
        self.sentences = [self._fill(rng, rng.choice(SENTENCES)) for _ in range(4000)]
        self.leads = [self._fill(rng, rng.choice(LEADS)) for _ in range(400)]
        self.heads = [self._fill(rng, rng.choice(HEADS)) for _ in range(200)]
        self.quotes = [f"{rng.choice(self.speakers)}表示：“{rng.choice(QUOTES)}”" for _ in range(600)]
        self.items = [self._fill(rng, t) for t in (
            "新引进产业项目{n}个，到位资金{yi}；", "新增高新技术企业{n}家，总数达到{n3}家；",
            "完成固定资产投资{yi}，同比增长{pct}；", "实现技术合同成交额{yi}；",
            "引进各类人才{n3}人；", "新增发明专利授权{n3}件；", "{ind}产业产值突破{yi}；",
            "实现外贸进出口总额{yi}；", "推动{n}家企业完成智能化改造；", "建成投用{park}一期；",
        ) for _ in range(30)]
        self.titles = TITLES
        self.slogans = SLOGANS
        # Zipf-like popularity: a few zones, tags and reporters carry many reports.
        self.zone_weights = [1 / (1 + 0.08 * k) for k in range(len(ZONES))]
        self.tag_weights = [1 / (1 + 0.05 * k) for k in range(len(TAGS))]
        self.zone_reporters = {z[0]: self.reporters[i::len(ZONES)] for i, z in enumerate(ZONES)}

    def _fill(self, rng: random.Random, template: str) -> str:
        slogan = rng.choice(SLOGANS)
        return template.format(
            Z="〔Z〕", yr="〔Y〕", yr2=f"〔Y{rng.choice((3, 5, 10))}〕", m=rng.randint(2, 11),
            yi=_money(rng, 0.5, 999), yi2=_money(rng, 0.1, 99), yi3=_money(rng, 100, 3000),
            wan=f"{rng.randint(10, 2000)}万元",
            pct=f"{rng.uniform(0.5, 60):.1f}%", pct2=f"{rng.uniform(0.5, 60):.1f}%",
            pct3=f"{rng.uniform(60, 99.9):.1f}%",
            n=rng.randint(2, 150), n2=rng.randint(10, 900), n3=rng.randint(100, 9000),
            n4=rng.randint(50, 3000), n5=rng.randint(2, 12),
            ind=rng.choice(INDUSTRIES), ind2=rng.choice(INDUSTRIES), ind3=rng.choice(INDUSTRIES),
            product=rng.choice(PRODUCTS), co=rng.choice(self.companies), park=rng.choice(PARKS),
            slogan=slogan,
            # bold next to CJK quotes: **“双第一”**
            bq=f"**“{slogan}”**" if rng.random() < 0.5 else f"“{slogan}”",
        )


# Newspaper line-breaking rules: no line starts with closing punctuation or ends with opening.
NO_START = frozenset("。，、；：？！”’）》」』…—%")
NO_END = frozenset("“‘（《「『")


def wrap(paragraph: str, width: int) -> str:
    """Hard-wrap at about `width` characters, breaking only between two non-ASCII characters.

    A line break next to a digit or Latin letter would become a space in the rendered text
    (179.65 → 179. 65), and next to Markdown syntax (**, |) could change its meaning. As in
    print, no line starts with closing punctuation or ends with opening punctuation.
    """
    end = len(paragraph)
    if end <= width:
        return paragraph
    lines = []
    start = 0
    while end - start > width:
        cut = start + width
        while cut < end and (paragraph[cut - 1] < "\x80" or paragraph[cut] < "\x80"
                             or paragraph[cut] in NO_START or paragraph[cut - 1] in NO_END):
            cut += 1
        if cut >= end - 1:
            break
        lines.append(paragraph[start:cut])
        start = cut
    lines.append(paragraph[start:])
    return "\n".join(lines)


def _date(rng: random.Random) -> tuple[int, int, str]:
    # More reports in recent years, as the bulletin grew: year weight rises linearly.
    year = 2000 + int((rng.random() ** 0.6) * 26)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    r = rng.random()
    if r < 0.55:
        text = f"{year}-{month:02d}-{day:02d}"
    elif r < 0.95:
        text = f"{year}-{month:02d}-{day:02d} {rng.randint(7, 21):02d}:{rng.choice((0, 10, 15, 30, 45)):02d}"
    else:
        text = f"{year}-{month:02d}-{day:02d}T{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}:00+08:00"
    return year, month, text


def _table(rng: random.Random) -> str:
    year = rng.randint(2005, 2025)
    rows = [f"| 指标 | {year - 1}年 | {year}年 | 同比增长 |", "| --- | ---: | ---: | ---: |"]
    for label in rng.sample(["营业收入（亿元）", "工业总产值（亿元）", "税收（亿元）", "固定资产投资（亿元）",
                             "高新技术企业（家）", "发明专利授权（件）", "进出口总额（亿元）"], rng.randint(3, 6)):
        before = rng.uniform(10, 2000)
        growth = rng.uniform(-5, 40)
        rows.append(f"| {label} | {before:.2f} | {before * (1 + growth / 100):.2f} | {growth:.1f}% |")
    return "\n".join(rows)


def body(vocab: Vocabulary, rng: random.Random, zone: str, year: int) -> str:
    """About 2,800 characters of Markdown for one report."""
    target = rng.randint(3050, 3700)  # characters of text, of which about 2,800 are CJK

    def localize(text: str) -> str:  # the report's zone, and years around its own
        if "〔" not in text:
            return text
        text = text.replace("〔Z〕", zone).replace("〔Y〕", str(year - rng.randint(0, 1)))
        for ahead in ("3", "5", "10"):
            text = text.replace(f"〔Y{ahead}〕", str(year + int(ahead)))
        return text

    wrap_width = rng.randint(18, 22) if rng.random() < 0.5 else 0
    blocks: list[str] = []
    size = 0

    def paragraph(text: str) -> None:
        nonlocal size
        text = localize(text)
        size += len(text)
        blocks.append(wrap(text, wrap_width) if wrap_width else text)

    paragraph(rng.choice(vocab.leads) + "".join(rng.choices(vocab.sentences, k=rng.randint(1, 3))))
    heads = rng.sample(vocab.heads, rng.randint(2, 4)) if rng.random() < 0.6 else []
    list_at = rng.randint(2, 8) if rng.random() < 0.4 else -1
    table_at = rng.randint(3, 10) if rng.random() < 0.15 else -1
    # subheads at evenly spaced points of the text
    head_at = [target * k // (len(heads) + 1) for k in range(len(heads), 0, -1)]
    count = 0
    while size < target:
        count += 1
        if head_at and size >= head_at[-1]:
            head_at.pop()
            blocks.append("## " + heads.pop())
        if count == list_at:
            items = rng.sample(vocab.items, rng.randint(3, 6))
            marker = "- " if rng.random() < 0.6 else None
            lines = [(marker or f"{i}. ") + item for i, item in enumerate(items, 1)]
            lines[-1] = lines[-1][:-1] + "。"
            blocks.append("\n".join(lines))
            size += sum(len(item) for item in items)
        elif count == table_at:
            blocks.append(_table(rng))
            size += 80
        elif rng.random() < 0.12:
            paragraph(rng.choice(vocab.quotes))
        else:
            paragraph("".join(rng.choices(vocab.sentences, k=rng.randint(2, 5))))
    return localize("\n\n".join(blocks)) + "\n"


def _yaml_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


class Generator:
    """Makes report i of a corpus; report i does not depend on how many reports follow it."""

    def __init__(self, seed: int):
        self.seed = seed
        self.vocab = Vocabulary(seed)
        self.taken: set[str] = set()  # YYYY/MM/slug of every report so far: URLs must be unique

    def report(self, index: int, date: tuple[int, int, str] | None = None, title: str | None = None) -> tuple[str, str]:
        """(path under content/, file text) of report `index`; `date` and `title` override."""
        vocab = self.vocab
        rng = random.Random(self.seed * 1_000_003 + index)
        zone = rng.choices(ZONES, vocab.zone_weights)[0]
        year, month, date_text = date or _date(rng)
        for attempt in range(100):
            if title is None or attempt:
                title = vocab._fill(rng, rng.choice(vocab.titles)).replace("〔Z〕", zone[0]).replace("〔Y〕", str(year))
            slug = slugify(title)
            key = f"{year:04d}/{month:02d}/{slug}"
            if key not in self.taken:
                break
        else:  # pragma: no cover - the title space is far larger than any corpus
            raise RuntimeError(f"no unique title for report {index}")
        self.taken.add(key)
        local = vocab.zone_reporters[zone[0]]
        reporters = [rng.choice(local) if rng.random() < 0.75 else rng.choice(vocab.reporters)]
        reporters += rng.sample(vocab.reporters, rng.choice((0, 0, 0, 1, 1, 2)))
        reporters = list(dict.fromkeys(reporters))
        tags = list(dict.fromkeys(rng.choices(TAGS, vocab.tag_weights, k=rng.randint(1, 4))))
        if rng.random() < 0.5:
            title_line = title
        else:
            title_line = f'"{title}"'
        front = (f"---\ntitle: {title_line}\ndate: {date_text}\nzone: {zone[0] if rng.random() < 0.8 else zone[1]}\n"
                 f"reporter: {_yaml_list(reporters)}\ntags: {_yaml_list(tags) if rng.random() < 0.1 else '[' + ', '.join(tags) + ']'}\n---\n\n")
        day = date_text[8:10]
        path = f"{year:04d}/{month:02d}{day}-{slug}.md"
        return path, front + body(vocab, rng, zone[0], year)


def config_text(count: int) -> str:
    lines = [
        f"# A synthetic bulletin of {count} reports for benchmarking (bench/generate.py).",
        "title: 高新区新闻公报",
        "description: 国家高新区动态：产业、项目、政策与营商环境",
        "publisher: 高新区新闻公报编辑部",
        "base_url: https://example.org/bulletin/",
        "language: zh-CN",
        "timezone: Asia/Shanghai",
        "per_page: 20",
        # Timed without the Pagefind index, as Hugo and Pelican build none (see bench/README.md).
        "search: false",
        "zones:",
    ]
    for name, slug, province, city in ZONES:
        lines += [f"  - name: {name}", f"    slug: {slug}", f"    province: {province}", f"    city: {city}",
                  f"    description: {city}{name[len(city):] if name.startswith(city) else '：' + name}，国家级高新技术产业开发区。"]
    return "\n".join(lines) + "\n"


def generate(count: int, outdir: Path, seed: int = 1) -> None:
    outdir = Path(outdir)
    content = outdir / "content"
    content.mkdir(parents=True, exist_ok=True)
    (outdir / "bulletin.yaml").write_text(config_text(count), encoding="utf-8")
    generator = Generator(seed)
    made: set[str] = set()
    for index in range(count):
        rel, text = generator.report(index)
        folder = rel[:4]
        if folder not in made:
            (content / folder).mkdir(exist_ok=True)
            made.add(folder)
        with open(content / rel, "w", encoding="utf-8") as handle:
            handle.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic bulletin site of N reports.")
    parser.add_argument("count", type=int, metavar="N", help="number of reports")
    parser.add_argument("outdir", type=Path, metavar="OUTDIR", help="the site folder to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("N must be at least 1")
    if (args.outdir / "content").exists() and any((args.outdir / "content").iterdir()):
        parser.error(f"{args.outdir / 'content'} is not empty; choose a new folder")
    started = time.perf_counter()
    generate(args.count, args.outdir, args.seed)
    print(f"generated {args.count} reports in {args.outdir} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
