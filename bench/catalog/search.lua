-- package_search with a random query each time (percent-encoded): q=河川, q=避難所, q=バス停留所, q=parking, q=population statistics, q=tags:防災, q=雨量&fq=res_format:CSV, q=*:*&rows=20, q=観測データ&sort=metadata_modified desc, q=公園&facet.field=["tags"]
local queries = {
  "q=%E6%B2%B3%E5%B7%9D",
  "q=%E9%81%BF%E9%9B%A3%E6%89%80",
  "q=%E3%83%90%E3%82%B9%E5%81%9C%E7%95%99%E6%89%80",
  "q=parking",
  "q=population%20statistics",
  "q=tags:%E9%98%B2%E7%81%BD",
  "q=%E9%9B%A8%E9%87%8F&fq=res_format:CSV",
  "q=*:*&rows=20",
  "q=%E8%A6%B3%E6%B8%AC%E3%83%87%E3%83%BC%E3%82%BF&sort=metadata_modified%20desc",
  "q=%E5%85%AC%E5%9C%92&facet.field=%5B%22tags%22%5D"
}
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/3/action/package_search?" .. queries[math.random(#queries)])
end
