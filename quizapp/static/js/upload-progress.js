// Upload progress for large files: forms marked data-upload-progress are sent with XMLHttpRequest so
// the browser can report bytes sent. Without JavaScript the form posts normally and still works.
(function () {
  "use strict";

  function showErrors(box, messages) {
    box.textContent = "";
    messages.forEach(function (message) {
      var line = document.createElement("div");
      line.textContent = message;
      box.appendChild(line);
    });
    box.hidden = messages.length === 0;
  }

  function setup(form) {
    var panel = form.querySelector("[data-progress]");
    var bar = panel && panel.querySelector("progress");
    var label = panel && panel.querySelector("[data-progress-text]");
    var errors = document.querySelector("[data-upload-errors]");
    var button = form.querySelector("button[type=submit]");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    if (!panel || !window.FormData || !window.XMLHttpRequest) {
      return;
    }

    function finish(messages) {
      button.disabled = false;
      panel.hidden = true;
      if (errors) {
        showErrors(errors, messages);
      }
    }

    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      if (!file) {
        return; // let the server say which field is missing
      }
      event.preventDefault();
      if (maxBytes && file.size > maxBytes) {
        finish(["文件过大（超过 " + Math.round(maxBytes / 1048576) + " MB），请拆分后分批导入。"]);
        return;
      }
      var request = new XMLHttpRequest();
      request.open("POST", form.getAttribute("action") || window.location.href);
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      request.setRequestHeader("Accept", "application/json");
      var token = document.querySelector("meta[name=csrf-token]");
      if (token) {
        request.setRequestHeader("X-CSRFToken", token.getAttribute("content"));
      }
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((e.loaded / e.total) * 100);
          bar.value = percent;
          label.textContent = "正在上传 " + percent + "%";
        }
      });
      request.upload.addEventListener("load", function () {
        bar.removeAttribute("value"); // indeterminate while the server checks every row
        label.textContent = "上传完成，正在逐行检查…";
      });
      request.addEventListener("load", function () {
        var data = null;
        try {
          data = JSON.parse(request.responseText);
        } catch (ignore) {
          data = null;
        }
        if (data && data.redirect) {
          window.location.assign(data.redirect);
        } else if (data && data.errors) {
          finish(data.errors);
        } else if (data && data.error) {
          finish([data.error]);
        } else {
          finish(["上传失败（" + request.status + "），请重试。"]);
        }
      });
      request.addEventListener("error", function () {
        finish(["网络中断，上传失败，请重试。"]);
      });
      button.disabled = true;
      panel.hidden = false;
      bar.value = 0;
      label.textContent = "正在上传 0%";
      if (errors) {
        showErrors(errors, []);
      }
      request.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload-progress]").forEach(setup);
})();
