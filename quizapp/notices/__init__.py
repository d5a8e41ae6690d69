"""消息: notices to one person (督办提醒 from the 未完成名单), read on 首页 and the 消息 page."""
