"""Who and what the sample names: reps, regions, customers' companies and contacts' phones."""
from __future__ import annotations

import random

from xltools.forms.model import customer_key

REP_NAMES = ("张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷",
             "徐强", "孙丽", "马超", "朱琳", "胡斌", "郭鹏", "何雪", "林峰", "罗娟", "高飞")
REGIONS = ("华南区", "华东区", "华北区", "西南区", "华中区", "西北区", "东北区")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
GIVEN_NAMES = ("明", "强", "静", "磊", "敏", "军", "勇", "杰", "娟", "涛", "超", "霞", "平", "刚", "建华",
               "晓东", "丽华", "志强", "海燕", "春梅", "建军", "文博", "思远", "雨欣", "子轩", "浩然",
               "佳怡", "俊杰", "欣怡", "国栋", "秀英", "玉兰", "志伟", "明辉", "晓燕", "红梅")
# (city prefix of the full name, area code of its landlines)
CITIES = (("深圳市", "0755"), ("广州市", "020"), ("上海", "021"), ("北京", "010"), ("杭州市", "0571"),
          ("南京市", "025"), ("成都市", "028"), ("武汉市", "027"), ("苏州市", "0512"), ("东莞市", "0769"),
          ("佛山市", "0757"), ("厦门市", "0592"), ("长沙市", "0731"), ("西安市", "029"))
# Company cores are two characters, 华络 or 恒通; none is a province or ends a place name.
CORE_FIRST = "华恒瑞鼎博天中新金宏安嘉永联卓云智润银星海信凯泰兴浩正德晨飞通远明启盈汇"
CORE_SECOND = "络通丰盛远成科锐桥达泰禾信创越帆泽辰纳和业宇航拓源峰恒利华睿尚"
INDUSTRY_WORDS = {"通信": "信息技术", "科技": "信息技术", "软件": "信息技术", "信息": "信息技术",
                  "制造": "制造业", "机械": "制造业", "电子": "制造业", "物流": "服务业", "咨询": "服务业",
                  "商贸": "零售", "医疗": "医疗", "医药": "医疗", "教育": "教育", "能源": "能源",
                  "电力": "能源", "投资": "金融", "水务": "政府及公共事业", "环保": "其他"}
COMPANY_FORMS = ("有限公司",) * 6 + ("股份有限公司",) * 2 + ("集团有限公司",)
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "186", "187",
                   "188", "189", "177", "199", "133", "153", "180", "181")
MAIL_USERS = ("wangming", "lijing", "zhanglei", "chenjie", "liuyang", "zhaomin", "sunli", "zhouqiang")
MAIL_DOMAINS = ("163.com", "qq.com", "126.com", "sina.com")


def rep_names(rng: random.Random, count: int) -> list[str]:
    names = list(REP_NAMES[:count])
    taken = set(names)
    while len(names) < count:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def companies(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """Distinct customers: no two share a matching key, so nobody claims another's by accident."""
    seen: set[str] = set()
    out = []
    while len(out) < count:
        core = rng.choice(CORE_FIRST) + rng.choice(CORE_SECOND)
        word = rng.choice(list(INDUSTRY_WORDS))
        short = core + word
        if short in seen:
            short = core + rng.choice(CORE_SECOND) + word      # a third character when the pair is taken
        city, area = rng.choice(CITIES)
        full = city + short + rng.choice(COMPANY_FORMS)
        if short in seen or not customer_key(full) == customer_key(short) == short:
            continue
        seen.add(short)
        out.append((full, short, INDUSTRY_WORDS[word], area))
    return out


def phone_number(rng: random.Random, area: str) -> str:
    """Mostly mobiles; some landlines with the city's area code, some e-mail addresses."""
    kind = rng.random()
    if kind < 0.12:
        digits = 8 if len(area) == 3 else rng.choice((7, 8))
        return f"{area}-{rng.randint(2, 8)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
    if kind < 0.2:
        return f"{rng.choice(MAIL_USERS)}{rng.randint(1, 99)}@{rng.choice(MAIL_DOMAINS)}"
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
