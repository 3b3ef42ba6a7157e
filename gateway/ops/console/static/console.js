// Job progress: poll the job while it runs, update the bar, reload when it has finished.
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var active = ["running", "publishing", "cancelling"];
  if (active.indexOf(box.dataset.state) < 0) return;
  var url = "/ops/replays/" + box.dataset.job + "/progress";
  function poll() {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        document.getElementById("job-progress").value = job.done;
        document.getElementById("job-done").textContent = job.done;
        document.getElementById("job-state").textContent = job.state;
        if (active.indexOf(job.state) < 0) { window.location.reload(); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
